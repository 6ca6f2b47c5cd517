package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

func TestParseAcceptsAWSForms(t *testing.T) {
	d, err := Parse(`{
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "123456789012", "Service": ["codepipeline.amazonaws.com"]},
			"Action": "s3:GetObject",
			"Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
			"Condition": {"Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"n": 5}, "StringEquals": {"k": ["a", "b"]}}
		}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Document{Version: Version2012, Statement: []Statement{{
		Effect:    EffectAllow,
		Principal: Principals{Set: map[string][]string{"AWS": {"123456789012"}, "Service": {"codepipeline.amazonaws.com"}}},
		Action:    []string{"s3:GetObject"},
		Resource:  []string{"arn:aws:s3:::b/*", "arn:aws:s3:::b"},
		Condition: map[string]map[string][]string{
			"Bool": {"aws:SecureTransport": {"true"}}, "NumericLessThan": {"n": {"5"}}, "StringEquals": {"k": {"a", "b"}},
		},
	}}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("parsed document (-want +got):\n%s", diff)
	}
	star, err := Parse(`{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !star.Statement[0].Principal.All {
		t.Errorf(`Principal "*" not parsed as All: %+v`, star.Statement[0].Principal)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "  ", "policy document is empty"},
		{"not JSON", `{"Statement": [`, "not valid JSON"},
		{"not an object", `["Allow"]`, "policy document must be a JSON object"},
		{"no statement", `{"Version":"2012-10-17"}`, "has no Statement"},
		{"empty statement list", `{"Statement":[]}`, "has no Statement"},
		{"bad version", `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*"}}`, `Version "2020-01-01"`},
		{"missing effect", `{"Statement":[{"Sid":"S1","Action":"*"}]}`, `Statement[0] (Sid "S1"): missing Effect`},
		{"bad effect", `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"allow","Action":"*"}]}`, `Statement[1]: Effect "allow" is not`},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "needs an Action or a NotAction"},
		{"action and notaction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}`, "both Action and NotAction"},
		{"resource and notresource", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}}`, "both Resource and NotResource"},
		{"principal and notprincipal", `{"Statement":{"Effect":"Deny","Action":"*","Principal":"*","NotPrincipal":{"AWS":"*"}}}`, "both Principal and NotPrincipal"},
		{"principal string not star", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::1:root"}}`, `Principal as a string must be "*"`},
		{"principal bad type", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Users":"x"}}}`, `Principal type "Users"`},
		{"principal empty list", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":[]}}}`, "Principal.AWS is empty"},
		{"action number", `{"Statement":{"Effect":"Allow","Action":5}}`, "Action must be a string or a list of strings"},
		{"condition object value", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":{}}}}}`, "must be a string, a boolean, a number"},
		{"unknown element", `{"Statement":{"Effect":"Allow","Action":"*","Actions":"x"}}`, `unknown element "Actions"`},
		{"statement not object", `{"Statement":"Allow"}`, "Statement must be an object or a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCanonicalEquivalence(t *testing.T) {
	for _, tc := range []struct{ name, a, b string }{
		{"whitespace and key order",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			"{\n  \"Statement\" : [ { \"Resource\":\"arn:aws:s3:::b/*\",\n \"Action\": \"s3:GetObject\", \"Effect\": \"Allow\" } ],\n \"Version\": \"2012-10-17\" }"},
		{"string vs single-element list",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::2:role/r"},"Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::2:role/r"]},"Action":["kms:Decrypt"],"Resource":["*"],"Condition":{"Bool":{"aws:SecureTransport":[true]}}}]}`},
		{"list order and duplicates",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::2:role/b","arn:aws:iam::2:role/a"]},"Action":["s3:Put*","s3:Get*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::2:role/a","arn:aws:iam::2:role/b","arn:aws:iam::2:role/a"]},"Action":["s3:Get*","s3:Put*","s3:Get*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`},
		{"duplicates collapse to one element",
			`{"Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:Get*"]}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"s3:Get*"}]}`},
		{"account id is its root ARN",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := Canonical(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := Canonical(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if ca != cb {
				t.Errorf("canonical forms differ:\n%s\n%s", ca, cb)
			}
			// Canonicalization is idempotent.
			if again, err := Canonical(ca); err != nil || again != ca {
				t.Errorf("Canonical(Canonical(x)) = %q, %v; want %q", again, err, ca)
			}
		})
	}
}

func TestCanonicalForm(t *testing.T) {
	got, err := Canonical(`{"Statement":{"Condition":{"Bool":{"aws:SecureTransport":false}},"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"],"Action":"s3:*","Principal":"*","Effect":"Deny","Sid":"TLS"},"Version":"2012-10-17"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if got != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", got, want)
	}
	// Distinct documents stay distinct.
	other, _ := Canonical(strings.Replace(want, `"Principal":"*"`, `"Principal":{"AWS":"*"}`, 1))
	if other == want {
		t.Error(`Principal "*" and {"AWS":"*"} canonicalized identically; they are distinct forms`)
	}
	// json.Marshal of a Document gives the canonical form too.
	d, _ := Parse(want)
	b, err := json.Marshal(d)
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal = %s, %v; want %s", b, err, want)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:Get*", "s3:Get", true},
		{"s3:Get*", "s3:PutObject", false},
		{"s3:Get?bject", "s3:GetObject", true},
		{"s3:Get?bject", "s3:Getbject", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true},
		{"**a", "bbba", true},
		{"é?", "éü", true},
	} {
		if got := Match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestAccountOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::222222222222:role/deploy":           "222222222222",
		"arn:aws:iam::222222222222:root":                  "222222222222",
		"arn:aws:sts::222222222222:assumed-role/deploy/s": "222222222222",
		"arn:aws:kms:us-east-1:111111111111:key/abc":      "111111111111",
		"arn:aws:s3:::bucket":                             "",
		"333333333333":                                    "333333333333",
		"*":                                               "",
		"arn:aws:iam":                                     "",
		"":                                                "",
		"arn:aws-cn:iam::444444444444:role/path/to/deploy-role": "444444444444",
	} {
		if got := AccountOf(in); got != want {
			t.Errorf("AccountOf(%q) = %q, want %q", in, got, want)
		}
	}
	if got := RoleOfSession("arn:aws:sts::2:assumed-role/deploy/sess"); got != "arn:aws:iam::2:role/deploy" {
		t.Errorf("RoleOfSession = %q", got)
	}
}

// FuzzCanonical: Parse never panics, and whatever parses has a canonical form that parses
// back to the same canonical form.
func FuzzCanonical(f *testing.F) {
	f.Add(BucketPolicy(arn.AWS, "b", []string{deployRole}).JSON())
	f.Add(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":["s3:Get*","s3:Get*"],"Condition":{"Bool":{"k":true},"NumericLessThan":{"n":[1,2.5]}}}}`)
	f.Add(`{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Deny","NotPrincipal":{"Service":"s"},"NotAction":"*","NotResource":"a"}]}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := Canonical(doc)
		if err != nil {
			return
		}
		again, err := Canonical(c)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, c)
		}
		if again != c {
			t.Fatalf("canonical form is not stable:\n%s\n%s", c, again)
		}
		d, _ := Parse(c)
		d.EvaluateResource(Request{Principal: "arn:aws:iam::1:role/r", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	})
}
