package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

func TestParameterVersionsAndReferences(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	p := &backend.Parameter{Name: "/app/db/password", Type: backend.ParameterSecureString, Value: "v1"}
	first := must[*backend.Parameter](t)(a.PutParameter(ctx, p, false))
	if first.Version != 1 || first.ARN != "arn:aws:ssm:us-east-1:111111111111:parameter/app/db/password" {
		t.Fatalf("first version %+v", first)
	}
	if _, err := a.PutParameter(ctx, p, false); !errors.Is(err, backend.ErrAlreadyExists) {
		t.Fatalf("put without overwrite: %v, want ErrAlreadyExists", err)
	}
	p.Value = "v2"
	if v := must[*backend.Parameter](t)(a.PutParameter(ctx, p, true)); v.Version != 2 {
		t.Fatalf("overwrite made version %d, want 2", v.Version)
	}
	for ref, want := range map[string]string{
		"/app/db/password":   "v2",
		"/app/db/password:1": "v1",
		first.ARN:            "v2",
		first.ARN + ":1":     "v1",
	} {
		if got := must[*backend.Parameter](t)(a.GetParameter(ctx, ref)); got.Value != want || got.Type != backend.ParameterSecureString {
			t.Errorf("GetParameter(%q) = %q %s, want %q", ref, got.Value, got.Type, want)
		}
	}
	for _, ref := range []string{"/app/db/password:3", "/app/other", "arn:aws:ssm:us-east-1:222222222222:parameter/app/db/password"} {
		if _, err := a.GetParameter(ctx, ref); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("GetParameter(%q): %v, want not found", ref, err)
		}
	}
	if _, err := b.GetParameter(ctx, "/app/db/password"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("another account read the parameter: %v", err)
	}
	for _, bad := range []*backend.Parameter{
		{Name: "app/db", Type: backend.ParameterString, Value: "x"},
		{Name: "/a//b", Type: backend.ParameterString, Value: "x"},
		{Name: "/a b", Type: backend.ParameterString, Value: "x"},
		{Name: "/ok", Type: "Secure", Value: "x"},
		{Name: "/ok", Type: backend.ParameterString, Value: ""},
	} {
		if _, err := a.PutParameter(ctx, bad, false); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("PutParameter(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	list := must[[]*backend.Parameter](t)(a.ListParameters(ctx))
	if len(list) != 1 || list[0].Version != 2 || list[0].Value != "" {
		t.Fatalf("list %+v, want the latest version without its value", list)
	}
	if err := a.DeleteParameter(ctx, "/app/db/password"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetParameter(ctx, "/app/db/password:1"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("a deleted parameter's old version: %v", err)
	}
}

func TestSecretStagesMoveAsSecretsManagerMovesThem(t *testing.T) {
	ctx := context.Background()
	_, a, b := accounts(t)
	v1 := must[*backend.Secret](t)(a.PutSecretValue(ctx, "prod/db", `{"password":"one"}`, nil))
	if !strings.HasPrefix(v1.ARN, "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-") || len(v1.ARN) != len("arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-")+6 {
		t.Fatalf("ARN %s", v1.ARN)
	}
	v2 := must[*backend.Secret](t)(a.PutSecretValue(ctx, "prod/db", `{"password":"two"}`, nil))
	pending := must[*backend.Secret](t)(a.PutSecretValue(ctx, "prod/db", `{"password":"three"}`, []string{"AWSPENDING"}))
	for _, c := range []struct{ id, stage, version, want string }{
		{"prod/db", "", "", "two"},
		{v1.ARN, "", "", "two"},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db", "", "", "two"},
		{"prod/db", backend.StagePrevious, "", "one"},
		{"prod/db", "AWSPENDING", "", "three"},
		{"prod/db", "", v1.VersionID, "one"},
		{"prod/db", backend.StagePrevious, v1.VersionID, "one"},
	} {
		got := must[*backend.Secret](t)(a.GetSecretValue(ctx, c.id, c.stage, c.version))
		if got.Value != `{"password":"`+c.want+`"}` {
			t.Errorf("GetSecretValue(%s, %q, %q) = %s, want %s", c.id, c.stage, c.version, got.Value, c.want)
		}
	}
	if _, err := a.GetSecretValue(ctx, "prod/db", backend.StageCurrent, v1.VersionID); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("version 1 with AWSCURRENT: %v, want not found", err)
	}
	if _, err := b.GetSecretValue(ctx, v1.ARN, "", ""); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("another account read the secret by ARN: %v", err)
	}
	list := must[[]*backend.Secret](t)(a.ListSecrets(ctx))
	if len(list) != 1 || list[0].VersionID != v2.VersionID || !slices.Equal(list[0].Stages, []string{backend.StageCurrent}) || list[0].Value != "" {
		t.Fatalf("list %+v, want the current version %s without its value", list, v2.VersionID)
	}
	_ = pending
	if err := a.DeleteSecret(ctx, v1.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetSecretValue(ctx, "prod/db", "", ""); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("a deleted secret: %v", err)
	}
}

// Values are sealed at rest: neither appears in the state directory's files.
func TestSecretValuesAreSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCloud(t, dir)
	a := c.As(acctA, region)
	must[*backend.Parameter](t)(a.PutParameter(ctx, &backend.Parameter{Name: "plain-looking", Type: backend.ParameterString, Value: "parameter-value-8d1f"}, false))
	must[*backend.Secret](t)(a.PutSecretValue(ctx, "s", "secret-value-77aa", nil))
	c.Close()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range []string{"parameter-value-8d1f", "secret-value-77aa"} {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s holds %q in clear", path, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
