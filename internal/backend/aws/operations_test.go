package aws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestCallsOutsideTheTableAreRefused: a call of an operation the least-privilege table does
// not list fails before anything is sent, naming the table; a listed one is sent.
func TestCallsOutsideTheTableAreRefused(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111111111111</Account><Arn>arn:aws:iam::111111111111:root</Arn><UserId>111111111111</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`)) //nolint:errcheck // test server
	}))
	defer srv.Close()
	b := fakeBackend(t, srv)
	if _, err := b.clients.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil || calls.Load() != 1 {
		t.Fatalf("a listed operation: %v after %d calls", err, calls.Load())
	}
	saved := operations["sts/GetCallerIdentity"]
	delete(operations, "sts/GetCallerIdentity")
	defer func() { operations["sts/GetCallerIdentity"] = saved }()
	_, err := b.clients.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "operations.go") || calls.Load() != 1 {
		t.Errorf("an operation not listed: %v after %d calls, want refused before sending", err, calls.Load())
	}
}
