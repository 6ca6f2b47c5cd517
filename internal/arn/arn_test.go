package arn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]Partition{
		"us-east-1":       AWS,
		"eu-west-3":       AWS,
		"ap-southeast-5":  AWS,
		"cn-north-1":      AWSCN,
		"cn-northwest-1":  AWSCN,
		"us-gov-west-1":   AWSUSGov,
		"us-gov-east-1":   AWSUSGov,
		"us-iso-east-1":   AWSISO,
		"us-isob-east-1":  AWSISOB,
		"eu-isoe-west-1":  AWSISOE,
		"us-isof-south-1": AWSISOF,
		"eusc-de-east-1":  AWSEUSC,
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %s, want %s", region, got, want)
		}
	}
}

func TestBuilders(t *testing.T) {
	cases := []struct{ region, want string }{
		{"us-east-1", "arn:aws:"},
		{"us-gov-west-1", "arn:aws-us-gov:"},
		{"cn-north-1", "arn:aws-cn:"},
		{"us-iso-east-1", "arn:aws-iso:"},
		{"us-isob-east-1", "arn:aws-iso-b:"},
	}
	for _, c := range cases {
		p := PartitionOf(c.region)
		got := []string{
			p.Bucket("b"), p.Objects("b"), p.Object("b", "k/x"), p.Root("111111111111"), p.Role("111111111111", "deploy"),
			Key(c.region, "111111111111", "k1"), Alias(c.region, "111111111111", "alias/a"),
			Pipeline(c.region, "111111111111", "app"), Webhook(c.region, "111111111111", "hook"),
			Build(c.region, "111111111111", "proj:b1"),
		}
		pre := c.want
		want := []string{
			pre + "s3:::b", pre + "s3:::b/*", pre + "s3:::b/k/x", pre + "iam::111111111111:root", pre + "iam::111111111111:role/deploy",
			pre + "kms:" + c.region + ":111111111111:key/k1", pre + "kms:" + c.region + ":111111111111:alias/a",
			pre + "codepipeline:" + c.region + ":111111111111:app", pre + "codepipeline:" + c.region + ":111111111111:webhook:hook",
			pre + "codebuild:" + c.region + ":111111111111:build/proj:b1",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.region, diff)
		}
		for _, s := range got {
			a, err := Parse(s)
			if err != nil {
				t.Errorf("Parse(%q): %v", s, err)
				continue
			}
			if a.String() != s || a.Partition != p {
				t.Errorf("Parse(%q) = %+v, not a round trip in partition %s", s, a, p)
			}
		}
	}
}

func TestParseRefusesNonARNs(t *testing.T) {
	for _, s := range []string{"", "arn", "arn:aws:s3", "arn::s3:::b", "arn:aws::::x", "arn:aws:s3:::", "urn:aws:s3:::b"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func TestNamesFromARNs(t *testing.T) {
	type fn func(string) (string, error)
	cases := []struct {
		name    string
		f       fn
		in      string
		want    string
		wantErr bool
	}{
		{"bucket name", BucketName, "artifacts", "artifacts", false},
		{"bucket ARN", BucketName, "arn:aws-us-gov:s3:::artifacts", "artifacts", false},
		{"object ARN is not a bucket", BucketName, "arn:aws:s3:::artifacts/x", "", true},
		{"role ARN is not a bucket", BucketName, "arn:aws:iam::111111111111:role/x", "", true},
		{"pipeline name", PipelineName, "app", "app", false},
		{"pipeline ARN", PipelineName, "arn:aws-cn:codepipeline:cn-north-1:111111111111:app", "app", false},
		{"webhook ARN is not a pipeline", PipelineName, "arn:aws:codepipeline:us-east-1:111111111111:webhook:h", "", true},
		{"webhook ARN", WebhookName, "arn:aws:codepipeline:us-east-1:111111111111:webhook:h", "h", false},
		{"pipeline ARN is not a webhook", WebhookName, "arn:aws:codepipeline:us-east-1:111111111111:app", "", true},
	}
	for _, c := range cases {
		got, err := c.f(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%s: (%q, %v), want %q (error %t)", c.name, got, err, c.want, c.wantErr)
		}
	}
}
