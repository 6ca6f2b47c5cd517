package check

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestPermissivePolicy: the completion of a partly known policy document that the grant rules
// judge: unknown parts of Allow statements as wide as can be, Deny statements with unknown
// parts left out, known parts as they are.
func TestPermissivePolicy(t *testing.T) {
	role := "arn:aws:iam::222222222222:role/deploy"
	cases := []struct {
		name     string
		doc      any
		identity bool
		want     string // "" when the document cannot be rendered
	}{
		{
			name: "unknown resource widens to *",
			doc: map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": role}, "Action": []any{"s3:GetObject"}, "Resource": unknown},
			}},
			want: `{"Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "one unknown principal among several widens the principal",
			doc: map[string]any{"Statement": []any{
				map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": []any{role, unknown}}, "Action": "kms:Decrypt", "Resource": "*"},
			}},
			want: `{"Statement":[{"Action":"kms:Decrypt","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "a deny with an unknown part is left out, a known one kept",
			doc: map[string]any{"Statement": []any{
				map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": unknown},
				map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"},
			}},
			want: `{"Statement":[{"Action":"s3:DeleteObject","Effect":"Deny","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "unknown effect could allow",
			doc: map[string]any{"Statement": []any{
				map[string]any{"Effect": unknown, "Principal": map[string]any{"AWS": role}, "Action": "s3:GetObject", "Resource": "*"},
			}},
			want: `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deploy"},"Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "an unknown statement allows anything",
			doc:  map[string]any{"Statement": []any{unknown}},
			want: `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name:     "identity policies have no principal",
			doc:      map[string]any{"Statement": []any{unknown}},
			identity: true,
			want:     `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "an unknown NotAction excludes nothing",
			doc: map[string]any{"Statement": []any{
				map[string]any{"Effect": "Allow", "NotAction": []any{unknown}, "Resource": "*"},
			}},
			identity: true,
			want:     `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "condition keys with unknown values restrict nothing",
			doc: map[string]any{"Statement": []any{
				map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": unknown, "aws:SourceVpc": "vpc-1"}}},
			}},
			want: `{"Statement":[{"Action":"s3:GetObject","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}},"Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{name: "unknown statements", doc: map[string]any{"Statement": unknown}},
		{name: "not a document", doc: []any{"x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := permissivePolicy(tc.doc, tc.identity)
			if tc.want == "" {
				if ok {
					t.Fatalf("rendered %s, want no rendering", got)
				}
				return
			}
			if !ok {
				t.Fatal("no rendering")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderTemplate: a heredoc with an interpolation known only after apply is a partial
// document when it is JSON, and plainly unknown otherwise.
func TestRenderTemplate(t *testing.T) {
	eval := func(src string) cty.Value {
		expr, diags := hclsyntax.ParseTemplate([]byte(src), "t.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"arn": cty.UnknownVal(cty.String), "role": cty.StringVal("r")}}
		return renderTemplate(expr, func(e hclsyntax.Expression) cty.Value {
			v, _ := e.Value(ctx)
			return v
		})
	}
	v := eval(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "${role}"}, "Resource": "${arn}/*"}]}`)
	doc := partialOf(v.Marks())
	if v.IsKnown() || doc == nil {
		t.Fatalf("a JSON heredoc with an unknown interpolation: %#v, want an unknown partial document", v)
	}
	b, _ := json.Marshal(doc.tree)
	if want := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"r"},"Resource":{}}]}`; string(b) != want {
		t.Errorf("partial document %s, want %s (the unknown resource marshals as {})", b, want)
	}
	if v := eval(`name-${arn}`); v.IsKnown() || partialOf(v.Marks()) != nil {
		t.Errorf("a template that is not JSON: %#v, want plainly unknown", v)
	}
	if v := eval(`{"a": "${role}"}`); !v.IsKnown() || v.AsString() != `{"a": "r"}` {
		t.Errorf("a known template: %#v", v)
	}
}
