package backendtest

import (
	"errors"
	"slices"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// secretsOf is the account's parameter and secret store, or nil when the kind refuses the
// capability as it must (an UnsupportedError naming it).
func (e *env) secretsOf(b backend.Backend) backend.Secrets {
	e.t.Helper()
	s, err := backend.SecretsOf(b)
	if err != nil {
		var ue *backend.UnsupportedError
		if !errors.As(err, &ue) || ue.Capability != backend.CapabilitySecrets {
			e.t.Fatalf("SecretsOf = %v", err)
		}
		return nil
	}
	return s
}

var secretCases = []Case{
	{"secrets", "parameters: versions, references, types, no other account", func(e *env) {
		s := e.secretsOf(e.a)
		if s == nil {
			return
		}
		p := &backend.Parameter{Name: "/ci/token", Type: backend.ParameterSecureString, Value: "one", Description: "npm"}
		first := must[*backend.Parameter](e.t)(s.PutParameter(e.ctx, p, false))
		if first.Version != 1 || first.ARN != arn.Parameter(e.region, AccountA, "/ci/token") {
			e.t.Errorf("PutParameter = %+v", first)
		}
		_, err := s.PutParameter(e.ctx, p, false)
		wantErr(e.t, "PutParameter without overwrite", err, backend.ErrAlreadyExists)
		p.Value = "two"
		if v := must[*backend.Parameter](e.t)(s.PutParameter(e.ctx, p, true)); v.Version != 2 {
			e.t.Errorf("overwrite made version %d", v.Version)
		}
		for ref, want := range map[string]string{"/ci/token": "two", "/ci/token:1": "one", first.ARN: "two"} {
			if got := must[*backend.Parameter](e.t)(s.GetParameter(e.ctx, ref)); got.Value != want || got.Type != backend.ParameterSecureString {
				e.t.Errorf("GetParameter(%s) = %+v, want %q", ref, got, want)
			}
		}
		_, err = s.PutParameter(e.ctx, &backend.Parameter{Name: "/x", Type: "Text", Value: "v"}, false)
		wantErr(e.t, "a parameter of an unknown type", err, backend.ErrInvalid)
		if list := must[[]*backend.Parameter](e.t)(s.ListParameters(e.ctx)); len(list) != 1 || list[0].Value != "" || list[0].Version != 2 {
			e.t.Errorf("ListParameters = %+v", list)
		}
		if other := e.secretsOf(e.b); other != nil {
			_, err = other.GetParameter(e.ctx, "/ci/token")
			wantErr(e.t, "another account's GetParameter", err, backend.ErrNotFound)
			_, err = other.GetParameter(e.ctx, first.ARN)
			wantErr(e.t, "another account's GetParameter by ARN", err, backend.ErrNotFound)
		}
		ok(e.t, s.DeleteParameter(e.ctx, "/ci/token"))
		_, err = s.GetParameter(e.ctx, "/ci/token")
		wantErr(e.t, "GetParameter after delete", err, backend.ErrNotFound)
	}},
	{"secrets", "secrets: stages move, versions by stage and id, no other account", func(e *env) {
		s := e.secretsOf(e.a)
		if s == nil {
			return
		}
		v1 := must[*backend.Secret](e.t)(s.PutSecretValue(e.ctx, "prod/db", `{"password":"one"}`, nil))
		v2 := must[*backend.Secret](e.t)(s.PutSecretValue(e.ctx, "prod/db", `{"password":"two"}`, nil))
		if v1.ARN != v2.ARN || v1.VersionID == v2.VersionID || !slices.Equal(v2.Stages, []string{backend.StageCurrent}) {
			e.t.Errorf("versions %+v then %+v", v1, v2)
		}
		for _, c := range []struct{ id, stage, version, want string }{
			{"prod/db", "", "", `{"password":"two"}`},
			{v1.ARN, backend.StagePrevious, "", `{"password":"one"}`},
			{"prod/db", "", v1.VersionID, `{"password":"one"}`},
		} {
			if got := must[*backend.Secret](e.t)(s.GetSecretValue(e.ctx, c.id, c.stage, c.version)); got.Value != c.want {
				e.t.Errorf("GetSecretValue(%s, %q, %q) = %q, want %q", c.id, c.stage, c.version, got.Value, c.want)
			}
		}
		_, err := s.GetSecretValue(e.ctx, "prod/db", "AWSPENDING", "")
		wantErr(e.t, "a stage no version has", err, backend.ErrNotFound)
		if list := must[[]*backend.Secret](e.t)(s.ListSecrets(e.ctx)); len(list) != 1 || list[0].VersionID != v2.VersionID || list[0].Value != "" {
			e.t.Errorf("ListSecrets = %+v", list)
		}
		if other := e.secretsOf(e.b); other != nil {
			_, err = other.GetSecretValue(e.ctx, v1.ARN, "", "")
			wantErr(e.t, "another account's GetSecretValue by ARN", err, backend.ErrNotFound)
		}
		ok(e.t, s.DeleteSecret(e.ctx, "prod/db"))
		_, err = s.GetSecretValue(e.ctx, "prod/db", "", "")
		wantErr(e.t, "GetSecretValue after delete", err, backend.ErrNotFound)
	}},
}
