package awsapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS CLIs are clients nobody here wrote: v1 (botocore, first on PATH on these machines)
// and v2 (the Debian package awscli, 2.9.19). Both must be present; a missing one fails the
// test with how to install it, never skips it.

// awsCLI finds a CLI of the major version: $CODEPIPELINE_AWSCLI_V<major>, else for v1 the aws
// on PATH, for v2 the binary of the Debian package.
func awsCLI(t *testing.T, major string) string {
	t.Helper()
	var cands []string
	if p := os.Getenv("CODEPIPELINE_AWSCLI_V" + major); p != "" {
		cands = append(cands, p)
	}
	if major == "1" {
		if p, err := exec.LookPath("aws"); err == nil {
			cands = append(cands, p)
		}
	} else {
		if out, err := exec.Command("dpkg", "-L", "awscli").Output(); err == nil {
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasSuffix(line, "/bin/aws") {
					cands = append(cands, line)
				}
			}
		}
		cands = append(cands, "/usr/bin/aws")
	}
	for _, c := range cands {
		out, err := exec.Command(c, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/"+major+".") {
			return c
		}
	}
	hint := map[string]string{"1": "pip install awscli (or set CODEPIPELINE_AWSCLI_V1)", "2": "apt-get install -y awscli (or set CODEPIPELINE_AWSCLI_V2)"}[major]
	t.Fatalf("AWS CLI v%s not found (tried %v): %s", major, cands, hint)
	return ""
}

type cliRun struct {
	bin, endpoint, home string
	env                 []string
}

func newCLIRun(t *testing.T, bin, endpoint, key, secret string, extraEnv ...string) *cliRun {
	home := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
	}
	return &cliRun{bin: bin, endpoint: endpoint, home: home, env: append(env, extraEnv...)}
}

// run runs the CLI against the endpoint and returns stdout, stderr and whether it succeeded.
func (c *cliRun) run(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(c.bin, append([]string{"--endpoint-url", c.endpoint}, args...)...)
	cmd.Env, cmd.Dir = c.env, c.home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v", c.bin, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", c.bin, args, err)
	}
	return out.String(), errb.String(), err == nil
}

func (c *cliRun) ok(t *testing.T, want string, args ...string) string {
	t.Helper()
	out, errs, ok := c.run(t, args...)
	if !ok || !strings.Contains(out, want) {
		t.Errorf("aws %s: ok=%v, want %q in the output\nstdout: %.500s\nstderr: %.800s", strings.Join(args, " "), ok, want, out, errs)
	}
	return out
}

// fails runs a command that must fail with code (the CLI prints "(Code) when calling the Op
// operation…: message") and message.
func (c *cliRun) fails(t *testing.T, code, message string, args ...string) {
	t.Helper()
	out, errs, ok := c.run(t, args...)
	if ok || !strings.Contains(errs, code) || !strings.Contains(errs, message) {
		t.Errorf("aws %s: ok=%v, want a failure with %q and %q\nstdout: %.300s\nstderr: %.800s", strings.Join(args, " "), ok, code, message, out, errs)
	}
}

func TestAWSCLIs(t *testing.T) {
	for _, major := range []string{"1", "2"} {
		t.Run("v"+major, func(t *testing.T) {
			t.Parallel() // each CLI call is mostly Python starting up
			bin := awsCLI(t, major)
			cloud := newTestCloud(t)
			srv := httptest.NewServer(cloud.srv)
			t.Cleanup(srv.Close)
			cli := newCLIRun(t, bin, srv.URL, rootKey, rootSecret)

			cli.ok(t, `"Account": "111111111111"`, "sts", "get-caller-identity")
			cli.ok(t, `"Arn": "arn:aws:iam::111111111111:role/deployer"`, "iam", "get-role", "--role-name", "deployer")
			cli.fails(t, "(NoSuchEntity) when calling the GetRole operation", "The role with name nobody cannot be found.", "iam", "get-role", "--role-name", "nobody")
			plain := filepath.Join(cli.home, "plain.txt")
			if err := os.WriteFile(plain, []byte("attack at dawn"), 0o600); err != nil {
				t.Fatal(err)
			}
			cli.ok(t, `"CiphertextBlob": "Y3Q6YXR0YWNrIGF0IGRhd24="`, "kms", "encrypt", "--key-id", "k1", "--plaintext", "fileb://"+plain)
			cli.fails(t, "(NotFoundException) when calling the Encrypt operation", "Key 'missing' does not exist", "kms", "encrypt", "--key-id", "missing", "--plaintext", "fileb://"+plain)
			cli.ok(t, `"name": "p"`, "codepipeline", "get-pipeline", "--name", "p")
			cli.fails(t, "(PipelineNotFoundException)", "does not have a pipeline with name 'q'", "codepipeline", "get-pipeline", "--name", "q")
			cli.fails(t, "(UnknownOperationException) when calling the ListAliases operation", "the local cloud does not implement kms ListAliases", "kms", "list-aliases")
			cli.fails(t, "(NotImplemented) when calling the GetBucketCors operation", "the local cloud does not implement S3 GetBucketCors", "s3api", "get-bucket-cors", "--bucket", "b-1")

			bucket := "cli-v" + major
			cli.ok(t, "make_bucket: "+bucket, "s3", "mb", "s3://"+bucket)
			cli.ok(t, "", "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
			cli.ok(t, `"LocationConstraint": "eu-west-1"`, "s3api", "get-bucket-location", "--bucket", bucket)
			big := filepath.Join(cli.home, "big.bin")
			data := make([]byte, 20<<20)
			rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
			if err := os.WriteFile(big, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cli.ok(t, "upload: ", "s3", "cp", big, "s3://"+bucket+"/dir/big file.bin")
			back := filepath.Join(cli.home, "back.bin")
			cli.ok(t, "download: ", "s3", "cp", "s3://"+bucket+"/dir/big file.bin", back)
			if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
				t.Errorf("the 20 MB file came back as %d different bytes", len(got))
			}
			cli.ok(t, "big file.bin", "s3", "ls", "s3://"+bucket+"/dir/")
			cli.ok(t, "delete: ", "s3", "rm", "s3://"+bucket+"/dir/big file.bin")
			if cloud.s3.modes["sha256"] < 3 {
				t.Errorf("a 20 MB copy over HTTP: want at least 3 signed parts, modes seen %v", cloud.s3.modes)
			}

			bad := newCLIRun(t, bin, srv.URL, rootKey, "not-the-secret")
			bad.fails(t, "(SignatureDoesNotMatch)", "signature we calculated does not match", "sts", "get-caller-identity")
			bad.fails(t, "(InvalidSignatureException)", "signature we calculated does not match", "kms", "list-keys")
			bad.fails(t, "SignatureDoesNotMatch", "ListBuckets", "s3", "ls")
			unknown := newCLIRun(t, bin, srv.URL, "AKIAUNKNOWNUNKNOWN00", "x")
			unknown.fails(t, "(InvalidClientTokenId)", "security token included in the request is invalid", "sts", "get-caller-identity")
			unknown.fails(t, "(UnrecognizedClientException)", "security token included in the request is invalid", "codepipeline", "get-pipeline", "--name", "p")
			unknown.fails(t, "InvalidAccessKeyId", "does not exist in our records", "s3", "ls")
			if n := cloud.validateExchanges(t); n < 20 {
				t.Errorf("only %d responses validated", n)
			}
		})
	}
}

// TestAWSCLIsOverTLS: over HTTPS, the CLIs stream uploads as aws-chunked with a trailing
// checksum (v1 by default; v2 2.9 when a checksum algorithm is asked for).
func TestAWSCLIsOverTLS(t *testing.T) {
	for _, major := range []string{"1", "2"} {
		t.Run("v"+major, func(t *testing.T) {
			t.Parallel()
			bin := awsCLI(t, major)
			cloud := newTestCloud(t)
			srv := httptest.NewTLSServer(cloud.srv)
			t.Cleanup(srv.Close)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			cli := newCLIRun(t, bin, srv.URL, rootKey, rootSecret, "AWS_CA_BUNDLE="+ca)
			bucket := "tls-v" + major
			cli.ok(t, "make_bucket: "+bucket, "s3", "mb", "s3://"+bucket)
			big := filepath.Join(cli.home, "big.bin")
			data := make([]byte, 20<<20)
			rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
			if err := os.WriteFile(big, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cli.ok(t, "upload: ", "s3", "cp", big, "s3://"+bucket+"/big")
			cli.ok(t, `"ChecksumCRC32"`, "s3api", "put-object", "--bucket", bucket, "--key", "one-piece", "--body", big, "--checksum-algorithm", "CRC32")
			for _, key := range []string{"big", "one-piece"} {
				if got := cloud.s3.buckets[bucket][key]; !bytes.Equal(got, data) {
					t.Errorf("%s: stored %d bytes, want the 20 MB file", key, len(got))
				}
			}
			t.Logf("AWS CLI v%s over TLS sent object bodies as %v", major, cloud.s3.modes)
			if cloud.s3.modes["STREAMING-UNSIGNED-PAYLOAD-TRAILER"] == 0 {
				t.Errorf("no aws-chunked upload seen: %v", cloud.s3.modes)
			}
			cloud.validateExchanges(t)
		})
	}
}
