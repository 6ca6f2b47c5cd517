package awsapi_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
)

// The loopback benchmark runs the endpoint in a second process (this test binary, re-executed
// with AWSAPI_BENCH_SERVE=1) and drives it with aws-sdk-go-v2 clients from this one, so that
// client and server do not share a scheduler or a heap. Its baseline, in the same child, is a
// bare net/http handler that answers a fixed GetCallerIdentity document to an unsigned POST:
// the cost of HTTP on loopback alone.

func TestMain(m *testing.M) {
	if os.Getenv("AWSAPI_BENCH_SERVE") == "1" {
		serveForBenchmark()
		return
	}
	os.Exit(m.Run())
}

const fixedIdentity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:root</Arn><UserId>111111111111</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

// serveForBenchmark serves the endpoint and the baseline until its standard input closes.
func serveForBenchmark() {
	cloud := buildTestCloud(nil, func(c *awsapi.Config) { c.Observe = nil; c.Now = time.Now })
	cloud.s3.buckets["bench"] = map[string][]byte{"object": []byte("hello")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	base, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, cloud.srv)                                                        //nolint:errcheck // ends with the process
	go http.Serve(base, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { //nolint:errcheck // ends with the process
		io.Copy(io.Discard, r.Body) //nolint:errcheck // the baseline reads the body as the endpoint does
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, fixedIdentity) //nolint:errcheck // the client went away
	}))
	fmt.Printf("%s %s\n", ln.Addr(), base.Addr())
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
}

func startBenchServer(b *testing.B) (endpoint, baseline string) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AWSAPI_BENCH_SERVE=1")
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
	addrs := strings.Fields(line)
	return "http://" + addrs[0], "http://" + addrs[1]
}

// latencies records per-request durations and reports their p50 and p99 and the rate.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	if len(l.d) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(l.d[int(p*float64(len(l.d)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
}

const stsBody = "Action=GetCallerIdentity&Version=2011-06-15"

var (
	stsBodyHash = func() string { s := sha256.Sum256([]byte(stsBody)); return hex.EncodeToString(s[:]) }()
	signer      = v4.NewSigner()
	rootCreds   = aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
)

// BenchmarkServeHTTP is the endpoint's own cost per request, in process and without a
// network: verifying the signature of a GetCallerIdentity, routing, and encoding the answer.
func BenchmarkServeHTTP(b *testing.B) {
	cloud := buildTestCloud(nil, func(c *awsapi.Config) { c.Observe = nil; c.Now = time.Now })
	r, _ := http.NewRequest("POST", "http://localhost:4566/", strings.NewReader(stsBody))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := signer.SignHTTP(context.Background(), rootCreds, r, stsBodyHash, "sts", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(strings.NewReader(stsBody))
		w := &discardWriter{h: http.Header{}}
		cloud.srv.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// BenchmarkLoopback: go test ./internal/awsapi/ -run '^$' -bench Loopback -benchtime 2000x
func BenchmarkLoopback(b *testing.B) {
	endpoint, baseline := startBenchServer(b)
	ctx := context.Background()
	c := newClients(b, endpoint, clientOpts{})
	calls := map[string]func() error{
		"baseline-unsigned-http": func() error {
			resp, err := c.hc.Post(baseline, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
			return resp.Body.Close()
		},
		"sigv4-GetCallerIdentity": func() error {
			_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"sigv4-raw-GetCallerIdentity": func() error { // signed by hand: the client's cost is the signature only
			r, err := http.NewRequest("POST", endpoint+"/", strings.NewReader(stsBody))
			if err != nil {
				return err
			}
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			if err := signer.SignHTTP(ctx, rootCreds, r, stsBodyHash, "sts", "us-east-1", time.Now()); err != nil {
				return err
			}
			resp, err := c.hc.Do(r)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		},
		"sigv4-GetPipeline": func() error {
			_, err := c.cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String("p")})
			return err
		},
		"sigv4-HeadObject": func() error {
			_, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench"), Key: aws.String("object")})
			return err
		},
	}
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		call := calls[name]
		if err := call(); err != nil { // warm the connection; fail before measuring
			b.Fatalf("%s: %v", name, err)
		}
		for _, conc := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/c%d", name, conc), func(b *testing.B) {
				var l latencies
				work := make(chan struct{}, b.N)
				for range b.N {
					work <- struct{}{}
				}
				close(work)
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range conc {
					wg.Go(func() {
						for range work {
							t0 := time.Now()
							if err := call(); err != nil {
								b.Error(err)
								return
							}
							l.add(time.Since(t0))
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				l.report(b, time.Since(start))
			})
		}
	}
}
