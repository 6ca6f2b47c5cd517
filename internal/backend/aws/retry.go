package aws

import (
	"context"
	"strings"
	"time"
)

// IAM is eventually consistent: a role or policy just created is, for up to a couple of
// minutes, unknown to the services that check it. The calls that name a fresh principal retry
// while AWS says exactly that, with a growing pause, bounded in total, and stop at once when
// ctx is cancelled. Any other error is returned at once.

// retrySchedule bounds the retries: pauses from first, doubling up to most, until total has
// passed. Tests shorten it.
type retrySchedule struct {
	first, most, total time.Duration
}

var iamSchedule = retrySchedule{first: time.Second, most: 10 * time.Second, total: 3 * time.Minute}

// retryIAM calls call until it succeeds, fails with an error transient does not match, the
// schedule runs out (the last error is returned), or ctx ends.
func retryIAM(ctx context.Context, transient func(error) bool, call func() error) error {
	s := iamSchedule
	deadline := time.Now().Add(s.total)
	pause := s.first
	for {
		err := call()
		if err == nil || !transient(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, s.most)
	}
}

// invalidPrincipal is S3's refusal of a bucket policy naming a role IAM has not made known yet.
func invalidPrincipal(err error) bool {
	return codeOf(err) == "MalformedPolicy" && strings.Contains(strings.ToLower(messageOf(err)), "invalid principal")
}

// keyPolicyPrincipal is KMS's refusal of a key policy naming a principal IAM has not made
// known yet.
func keyPolicyPrincipal(err error) bool {
	return codeOf(err) == "MalformedPolicyDocumentException" && strings.Contains(strings.ToLower(messageOf(err)), "principal")
}

// roleNotAssumable is CodePipeline's refusal of a pipeline whose role it cannot assume yet
// ("CodePipeline is not authorized to perform AssumeRole on role …").
func roleNotAssumable(err error) bool {
	m := strings.ToLower(messageOf(err))
	return codeOf(err) == "InvalidStructureException" && strings.Contains(m, "role") &&
		(strings.Contains(m, "not authorized") || strings.Contains(m, "assumerole"))
}
