package aws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// notYet is an endpoint that refuses the first n calls as AWS refuses a principal IAM has not
// made known yet (the service's own code and words), then accepts; it counts the calls.
type notYet struct {
	n, calls atomic.Int32
	refuse   func(w http.ResponseWriter)
	accept   func(w http.ResponseWriter)
}

func (h *notYet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.calls.Add(1) <= h.n.Load() {
		h.refuse(w)
		return
	}
	h.accept(w)
}

// fakeBackend is a Backend whose every service is srv, acting as account 111111111111.
func fakeBackend(t *testing.T, srv *httptest.Server) *Backend {
	t.Helper()
	endpoints := map[string]string{}
	for _, s := range backend.AWSServices {
		endpoints[s] = srv.URL
	}
	b := &Backend{id: backend.Identity{Kind: backend.KindAWS, AccountID: "111111111111", Region: "us-east-1"}, conf: backend.AWSConfig{Endpoints: endpoints},
		base: awssdk.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKEFAKEFAKEFAKE", "secret", ""), RetryMaxAttempts: 1}}
	b.clients = b.newClients(b.base)
	b.as = newPrincipals(b)
	return b
}

func fastSchedule(t *testing.T, total time.Duration) {
	old := iamSchedule
	iamSchedule = retrySchedule{first: time.Millisecond, most: 5 * time.Millisecond, total: total}
	t.Cleanup(func() { iamSchedule = old })
}

var s3InvalidPrincipal = func(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`<Error><Code>MalformedPolicy</Code><Message>Invalid principal in policy</Message></Error>`)) //nolint:errcheck // test server
}

var cpRoleNotAuthorized = func(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"InvalidStructureException","message":"CodePipeline is not authorized to perform AssumeRole on role arn:aws:iam::111111111111:role/fresh"}`)) //nolint:errcheck // test server
}

var kmsInvalidPrincipal = func(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"MalformedPolicyDocumentException","message":"Policy contains a statement with one or more invalid principals."}`)) //nolint:errcheck // test server
}

// TestRetriesWhileIAMCatchesUp: each call that names a fresh principal is retried while AWS
// says the principal is not known yet, and succeeds once it is.
func TestRetriesWhileIAMCatchesUp(t *testing.T) {
	fastSchedule(t, time.Minute)
	ok := func(body string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write([]byte(body)) //nolint:errcheck // test server
		}
	}
	for _, tc := range []struct {
		name   string
		refuse func(w http.ResponseWriter)
		accept func(w http.ResponseWriter)
		call   func(ctx context.Context, b *Backend) error
	}{
		{"S3 PutBucketPolicy, Invalid principal", s3InvalidPrincipal, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			func(ctx context.Context, b *Backend) error {
				return b.putPolicy(ctx, "bkt", `{"Version":"2012-10-17","Statement":[]}`)
			}},
		{"KMS PutKeyPolicy, invalid principals", kmsInvalidPrincipal, ok(`{}`),
			func(ctx context.Context, b *Backend) error {
				return b.putKeyPolicy(ctx, "k", `{"Version":"2012-10-17","Statement":[]}`)
			}},
		{"CodePipeline UpdatePipeline, role not assumable", cpRoleNotAuthorized, ok(`{}`),
			func(ctx context.Context, b *Backend) error {
				err := retryIAM(ctx, roleNotAssumable, func() error {
					d, err := declarationOf(&pipeline.Pipeline{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/fresh"}, 1)
					if err != nil {
						return err
					}
					_, err = b.clients.cp.UpdatePipeline(ctx, updateInput(d))
					return err
				})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &notYet{refuse: tc.refuse, accept: tc.accept}
			h.n.Store(3)
			srv := httptest.NewServer(h)
			defer srv.Close()
			if err := tc.call(context.Background(), fakeBackend(t, srv)); err != nil {
				t.Fatalf("after 3 refusals: %v", err)
			}
			if got := h.calls.Load(); got != 4 {
				t.Errorf("%d calls, want 4 (3 refused, then accepted)", got)
			}
		})
	}
}

// TestRetriesAreBoundedAndCancellable: a principal that never becomes known ends the retries
// with AWS's error once the schedule runs out, and a cancelled context ends them at once; any
// other error is not retried.
func TestRetriesAreBoundedAndCancellable(t *testing.T) {
	h := &notYet{refuse: s3InvalidPrincipal, accept: func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }}
	h.n.Store(1 << 30)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := fakeBackend(t, srv)

	// Bounded: it ends, with AWS's error, once the schedule has run out (how many calls fit in
	// it depends on the machine's speed, which is not asserted).
	fastSchedule(t, 50*time.Millisecond)
	err := b.putPolicy(context.Background(), "bkt", `{}`)
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), "Invalid principal") {
		t.Fatalf("a principal never known: %v after %d calls, want S3's MalformedPolicy", err, h.calls.Load())
	}

	fastSchedule(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	h.calls.Store(0)
	go func() {
		for h.calls.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if err := b.putPolicy(ctx, "bkt", `{}`); err == nil {
		t.Fatal("a cancelled retry succeeded")
	}

	other := &notYet{refuse: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`<Error><Code>MalformedPolicy</Code><Message>Policy has invalid action</Message></Error>`)) //nolint:errcheck // test server
	}}
	other.n.Store(1 << 30)
	srv2 := httptest.NewServer(other)
	defer srv2.Close()
	if err := fakeBackend(t, srv2).putPolicy(context.Background(), "bkt", `{}`); !errors.Is(err, backend.ErrInvalid) || other.calls.Load() != 1 {
		t.Errorf("another MalformedPolicy: %v after %d calls, want ErrInvalid after 1", err, other.calls.Load())
	}
}
