package endpoint_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/endpoint"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The benchmarks run the endpoint in a second process (this test binary, re-executed with
// ENDPOINT_BENCH_SERVE=1) over a fresh local state directory, and drive it with aws-sdk-go-v2
// clients from this one. Baselines in the same run: a bare net/http handler answering a fixed
// GetCallerIdentity (the cost of HTTP on loopback alone), and github.com/johannesboyne/gofakes3
// (in memory, no encryption, no fsync) built from the nested module ../benchpeer.

func TestMain(m *testing.M) {
	if os.Getenv("ENDPOINT_BENCH_SERVE") == "1" {
		serveForBenchmark()
		return
	}
	os.Exit(m.Run())
}

const fixedIdentity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:root</Arn><UserId>111111111111</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

func serveForBenchmark() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "endpoint-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	b, err := backend.Open(ctx, backend.Config{Kind: backend.KindLocal, AccountID: acctA, Region: region, StateDir: dir})
	if err != nil {
		fail(err)
	}
	defer b.Close()
	c, err := backend.CloudOf(b)
	if err != nil {
		fail(err)
	}
	if _, err := b.CreateBucket(ctx, backend.Bucket{Name: "bench", Versioning: true}); err != nil {
		fail(err)
	}
	if _, err := b.PutObject(ctx, "", "bench", "object", strings.NewReader("hello")); err != nil {
		fail(err)
	}
	p := &pipeline.Pipeline{Name: "bench", RoleARN: "arn:aws:iam::111111111111:role/r", PipelineType: "V2",
		ArtifactStores: []pipeline.ArtifactStoreRef{{Location: "bench", Type: "S3"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{{Name: "S", Category: "Source", Owner: "AWS", Provider: "S3", Version: "1",
				Configuration: map[string]string{"S3Bucket": "bench", "S3ObjectKey": "object"}, OutputArtifacts: []string{"a"}}}},
			{Name: "Approve", Actions: []pipeline.Action{{Name: "A", Category: "Approval", Owner: "AWS", Provider: "Manual", Version: "1"}}},
		}}
	if _, err := b.CreatePipeline(ctx, p); err != nil {
		fail(err)
	}
	k, err := c.AccountKey(ctx, acctA, true)
	if err != nil {
		fail(err)
	}
	ep := endpoint.New(endpoint.Config{Cloud: c})
	defer ep.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	base, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go http.Serve(ln, ep)                                                               //nolint:errcheck // ends with the process
	go http.Serve(base, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { //nolint:errcheck // ends with the process
		io.Copy(io.Discard, r.Body) //nolint:errcheck // the baseline reads the body as the endpoint does
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, fixedIdentity) //nolint:errcheck // the client went away
	}))
	fmt.Printf("%s %s %s %s\n", ln.Addr(), base.Addr(), k.ID, k.Secret)
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
}

// child starts a server process and returns the fields of its first line.
func child(b *testing.B, cmd *exec.Cmd) []string {
	b.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait() //nolint:errcheck // it exits when its stdin closes
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return strings.Fields(line)
}

type benchServer struct {
	endpoint, baseline string
	cfg                aws.Config
}

func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ENDPOINT_BENCH_SERVE=1")
	f := child(b, cmd)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchServer{endpoint: "http://" + f[0], baseline: "http://" + f[1], cfg: aws.Config{Region: region,
		Credentials: credentials.NewStaticCredentialsProvider(f[2], f[3], ""), HTTPClient: &http.Client{Transport: tr}, RetryMaxAttempts: 1}}
}

// startGoFakeS3 builds and starts the nested module's gofakes3 server.
func startGoFakeS3(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "benchpeer")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "benchpeer")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building gofakes3 (internal/awsapi/benchpeer): %v\n%s", err, out)
	}
	return "http://" + child(b, exec.Command(bin))[0]
}

// BenchmarkLoopback measures the cost of a request through the whole endpoint over a real
// state directory — SigV4 verified, the key looked up, the policy evaluated, the backend read —
// from a second process, 4 clients at a time: p50 and p99 per request and requests per second,
// against a bare net/http answer on the same loopback.
func BenchmarkLoopback(b *testing.B) {
	s := startBenchServer(b)
	ep := aws.String(s.endpoint)
	stsc := sts.NewFromConfig(s.cfg, func(o *sts.Options) { o.BaseEndpoint = ep })
	cp := codepipeline.NewFromConfig(s.cfg, func(o *codepipeline.Options) { o.BaseEndpoint = ep })
	s3c := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true })
	base := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ops := []struct {
		name string
		call func(context.Context) error
	}{
		{"baseline-net-http", func(ctx context.Context) error {
			resp, err := base.Post(s.baseline, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			if err == nil {
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // measured, not read
				resp.Body.Close()
			}
			return err
		}},
		{"GetCallerIdentity", func(ctx context.Context) error {
			_, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"GetPipeline", func(ctx context.Context) error {
			_, err := cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("bench")})
			return err
		}},
		{"HeadObject", func(ctx context.Context) error {
			_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench"), Key: aws.String("object")})
			return err
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			ctx := context.Background()
			for range 20 { // warm the connections
				if err := op.call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			const workers = 4
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mine := make([]time.Duration, 0, b.N/workers+1)
					for i := w; i < b.N; i += workers {
						t0 := time.Now()
						if err := op.call(ctx); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) == 0 {
				return
			}
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		})
	}
}

// BenchmarkS3Throughput puts and gets one object of 64 MiB and of 1 GiB with aws-sdk-go-v2,
// against the endpoint (SigV4 checked, the body hashed, encrypted with the bucket's KMS key in
// chunks, written and synced) and against gofakes3 (in memory), in the same run: MB/s of each
// and the endpoint's share of gofakes3's.
func BenchmarkS3Throughput(b *testing.B) {
	s := startBenchServer(b)
	fake := startGoFakeS3(b)
	ours := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(s.endpoint); o.UsePathStyle = true })
	theirs := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(fake); o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := theirs.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			data := make([]byte, size)
			rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
			mbps := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }
			measure := func(c *s3.Client) (put, get float64) {
				t0 := time.Now()
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("big"), Body: bytes.NewReader(data)}); err != nil {
					b.Fatal(err)
				}
				put = mbps(time.Since(t0))
				t0 = time.Now()
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("big")})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, out.Body)
				out.Body.Close()
				if err != nil || n != int64(size) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
				return put, mbps(time.Since(t0))
			}
			var oursPut, oursGet, fakePut, fakeGet float64
			for range b.N {
				fp, fg := measure(theirs)
				op, og := measure(ours)
				fakePut, fakeGet, oursPut, oursGet = fakePut+fp, fakeGet+fg, oursPut+op, oursGet+og
			}
			n := float64(b.N)
			b.ReportMetric(oursPut/n, "put-MB/s")
			b.ReportMetric(fakePut/n, "gofakes3-put-MB/s")
			b.ReportMetric(oursGet/n, "get-MB/s")
			b.ReportMetric(fakeGet/n, "gofakes3-get-MB/s")
			b.ReportMetric(oursPut/fakePut, "put-ratio")
			b.ReportMetric(oursGet/fakeGet, "get-ratio")
		})
	}
}
