package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAWSPrincipalsOf(t *testing.T) {
	roles := []string{"arn:aws:iam::333333333333:role/b", "arn:aws:iam::222222222222:role/a"}
	d, err := Parse(BucketPolicy("artifacts", roles).JSON())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:iam::222222222222:role/a", "arn:aws:iam::333333333333:role/b"}
	if diff := cmp.Diff(want, d.AWSPrincipalsOf(SidObjectAccess)); diff != "" {
		t.Errorf("roles of %s (-want +got):\n%s", SidObjectAccess, diff)
	}
	if got := d.AWSPrincipalsOf("NoSuchSid"); got != nil {
		t.Errorf("roles of a missing Sid = %v, want nil", got)
	}
}
