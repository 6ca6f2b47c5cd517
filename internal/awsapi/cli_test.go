package awsapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/internal/awscli"
)

func TestAWSCLIs(t *testing.T) {
	for _, major := range []string{"1", "2"} {
		t.Run("v"+major, func(t *testing.T) {
			t.Parallel() // each CLI call is mostly Python starting up
			bin := awscli.Find(t, major)
			cloud := newTestCloud(t)
			srv := httptest.NewServer(cloud.srv)
			t.Cleanup(srv.Close)
			cli := awscli.New(t, bin, srv.URL, rootKey, rootSecret)

			cli.OK(t, `"Account": "111111111111"`, "sts", "get-caller-identity")
			cli.OK(t, `"Arn": "arn:aws:iam::111111111111:role/deployer"`, "iam", "get-role", "--role-name", "deployer")
			cli.Fails(t, "(NoSuchEntity) when calling the GetRole operation", "The role with name nobody cannot be found.", "iam", "get-role", "--role-name", "nobody")
			plain := filepath.Join(cli.Home, "plain.txt")
			if err := os.WriteFile(plain, []byte("attack at dawn"), 0o600); err != nil {
				t.Fatal(err)
			}
			cli.OK(t, `"CiphertextBlob": "Y3Q6YXR0YWNrIGF0IGRhd24="`, "kms", "encrypt", "--key-id", "k1", "--plaintext", "fileb://"+plain)
			cli.Fails(t, "(NotFoundException) when calling the Encrypt operation", "Key 'missing' does not exist", "kms", "encrypt", "--key-id", "missing", "--plaintext", "fileb://"+plain)
			cli.OK(t, `"name": "p"`, "codepipeline", "get-pipeline", "--name", "p")
			cli.Fails(t, "(PipelineNotFoundException)", "does not have a pipeline with name 'q'", "codepipeline", "get-pipeline", "--name", "q")
			cli.Fails(t, "(UnknownOperationException) when calling the ListAliases operation", "the local cloud does not implement kms ListAliases", "kms", "list-aliases")
			cli.Fails(t, "(NotImplemented) when calling the GetBucketCors operation", "the local cloud does not implement S3 GetBucketCors", "s3api", "get-bucket-cors", "--bucket", "b-1")

			bucket := "cli-v" + major
			cli.OK(t, "make_bucket: "+bucket, "s3", "mb", "s3://"+bucket)
			cli.OK(t, "", "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
			cli.OK(t, `"LocationConstraint": "eu-west-1"`, "s3api", "get-bucket-location", "--bucket", bucket)
			big := filepath.Join(cli.Home, "big.bin")
			data := make([]byte, 20<<20)
			rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
			if err := os.WriteFile(big, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cli.OK(t, "upload: ", "s3", "cp", big, "s3://"+bucket+"/dir/big file.bin")
			back := filepath.Join(cli.Home, "back.bin")
			cli.OK(t, "download: ", "s3", "cp", "s3://"+bucket+"/dir/big file.bin", back)
			if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
				t.Errorf("the 20 MB file came back as %d different bytes", len(got))
			}
			cli.OK(t, "big file.bin", "s3", "ls", "s3://"+bucket+"/dir/")
			cli.OK(t, "delete: ", "s3", "rm", "s3://"+bucket+"/dir/big file.bin")
			if cloud.s3.modes["sha256"] < 3 {
				t.Errorf("a 20 MB copy over HTTP: want at least 3 signed parts, modes seen %v", cloud.s3.modes)
			}

			bad := awscli.New(t, bin, srv.URL, rootKey, "not-the-secret")
			bad.Fails(t, "(SignatureDoesNotMatch)", "signature we calculated does not match", "sts", "get-caller-identity")
			bad.Fails(t, "(InvalidSignatureException)", "signature we calculated does not match", "kms", "list-keys")
			bad.Fails(t, "SignatureDoesNotMatch", "ListBuckets", "s3", "ls")
			unknown := awscli.New(t, bin, srv.URL, "AKIAUNKNOWNUNKNOWN00", "x")
			unknown.Fails(t, "(InvalidClientTokenId)", "security token included in the request is invalid", "sts", "get-caller-identity")
			unknown.Fails(t, "(UnrecognizedClientException)", "security token included in the request is invalid", "codepipeline", "get-pipeline", "--name", "p")
			unknown.Fails(t, "InvalidAccessKeyId", "does not exist in our records", "s3", "ls")
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
			bin := awscli.Find(t, major)
			cloud := newTestCloud(t)
			srv := httptest.NewTLSServer(cloud.srv)
			t.Cleanup(srv.Close)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			cli := awscli.New(t, bin, srv.URL, rootKey, rootSecret, "AWS_CA_BUNDLE="+ca)
			bucket := "tls-v" + major
			cli.OK(t, "make_bucket: "+bucket, "s3", "mb", "s3://"+bucket)
			big := filepath.Join(cli.Home, "big.bin")
			data := make([]byte, 20<<20)
			rand.Read(data) //nolint:errcheck // crypto/rand.Read does not fail
			if err := os.WriteFile(big, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cli.OK(t, "upload: ", "s3", "cp", big, "s3://"+bucket+"/big")
			cli.OK(t, `"ChecksumCRC32"`, "s3api", "put-object", "--bucket", bucket, "--key", "one-piece", "--body", big, "--checksum-algorithm", "CRC32")
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
