package endpoint_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/tftest"
)

// TestAccAWSProvider applies a cross-account aws_codepipeline configuration written for the AWS
// provider (hashicorp/aws 5.100.0, from the filesystem mirror) to the endpoint: buckets with
// versioning and a policy, a KMS key and alias, roles with policies in two accounts, and a V2
// pipeline with an S3 source, a Manual approval and a cross-account S3 deploy. The plan after
// apply is empty (every read path round-trips); the pipeline's first run, approved, deploys
// into the other account; destroy leaves nothing. The same configuration on the AWS-managed
// aws/s3 key applies as on AWS, and its run fails with AccessDenied at the cross-account
// deploy, as on AWS.
func TestAccAWSProvider(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: this test runs terraform with the AWS provider (make test sets TF_ACC=1)")
	}
	for _, cmk := range []bool{true, false} {
		name := "customer-managed key"
		if !cmk {
			name = "aws-s3 key"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // mostly the AWS provider waiting for what it created to settle
			c := newCloud(t)
			w := newTerraform(t, c, cmk)
			w.run("init", "-input=false")
			w.run("apply", "-input=false", "-auto-approve")
			w.run("plan", "-input=false", "-detailed-exitcode") // 2 (changes) fails the test

			ctx := context.Background()
			a := c.root(acctA)
			run := approveFirstRun(t, a.cp, "cross-account-release")
			if cmk {
				if run.Status != cptypes.PipelineExecutionStatusSucceeded {
					t.Fatalf("the run ended %s: %s", run.Status, aws.ToString(run.StatusSummary))
				}
				b := c.b.(backend.Cloud).As(acctB, region)
				defer b.Close()
				objs, err := b.ListObjects(ctx, "", "site-222222222222", "")
				if err != nil || len(objs) != 1 || objs[0].Key != "index.html" {
					t.Errorf("the deploy bucket holds %v (%v), want index.html", objs, err)
				}
			} else {
				failed := failedAction(t, a.cp, "cross-account-release", aws.ToString(run.PipelineExecutionId))
				if run.Status != cptypes.PipelineExecutionStatusFailed || failed == nil || aws.ToString(failed.ActionName) != "Site" ||
					!strings.Contains(aws.ToString(failed.Output.ExecutionResult.ErrorDetails.Message), "AccessDenied") {
					t.Fatalf("the run on the aws/s3 key ended %s (%s), failed action %+v; want the cross-account deploy to fail with AccessDenied",
						run.Status, aws.ToString(run.StatusSummary), failed)
				}
				t.Logf("the cross-account deploy on the aws/s3 key failed: %s", aws.ToString(failed.Output.ExecutionResult.ErrorDetails.Message))
			}

			w.run("destroy", "-input=false", "-auto-approve")
			leftOver(t, c)
			c.validate(t)
		})
	}
}

// tf runs terraform in a copy of testdata/terraform.
type tf struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newTerraform(t *testing.T, c *cloud, cmk bool) *tf {
	t.Helper()
	w := &tf{t: t, bin: tftest.Terraform(t), dir: t.TempDir()}
	main, err := os.ReadFile(filepath.Join("testdata", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, _ := zw.Create("index.html")
	f.Write([]byte("<h1>released</h1>")) //nolint:errcheck // into a buffer
	zw.Close()
	for name, data := range map[string][]byte{"main.tf": main, "app.zip": zipped.Bytes()} {
		if err := os.WriteFile(filepath.Join(w.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, []byte(tftest.CLIConfig{Mirror: tftest.AWSMirror(t)}.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ka, kb := c.key(acctA), c.key(acctB)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(name, "AWS_") && !strings.HasPrefix(name, "TF_") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "AWS_EC2_METADATA_DISABLED=true",
		"TF_VAR_endpoint="+c.srv.URL, "TF_VAR_pipeline_access_key="+ka.ID, "TF_VAR_pipeline_secret_key="+ka.Secret,
		"TF_VAR_target_access_key="+kb.ID, "TF_VAR_target_secret_key="+kb.Secret,
		fmt.Sprintf("TF_VAR_use_customer_managed_key=%t", cmk))
	if os.Getenv("TF_LOG") != "" {
		w.env = append(w.env, "TF_LOG="+os.Getenv("TF_LOG"), "TF_LOG_PATH="+filepath.Join(w.dir, "terraform.log"))
	}
	return w
}

func (w *tf) run(args ...string) {
	w.t.Helper()
	cmd := exec.CommandContext(w.t.Context(), w.bin, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	w.t.Logf("terraform %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if os.Getenv("TFTEST_VERBOSE") != "" {
		w.t.Logf("%s", out.String())
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 && args[0] == "plan" {
			w.t.Fatalf("terraform plan after apply shows changes:\n%s", out.String())
		}
		w.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// approveFirstRun waits for the run the pipeline started when it was created to reach its
// approval, approves it with the token of GetPipelineState, and waits for the run to end.
func approveFirstRun(t *testing.T, cp *codepipeline.Client, name string) *cptypes.PipelineExecution {
	t.Helper()
	ctx := context.Background()
	var token, id string
	for deadline := time.Now().Add(90 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		st := must[*codepipeline.GetPipelineStateOutput](t)(cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String(name)}))
		if len(st.StageStates) == 3 && st.StageStates[1].LatestExecution != nil && len(st.StageStates[1].ActionStates) == 1 {
			if x := st.StageStates[1].ActionStates[0].LatestExecution; x != nil {
				token, id = aws.ToString(x.Token), aws.ToString(st.StageStates[1].LatestExecution.PipelineExecutionId)
			}
		}
		if len(st.StageStates) > 0 && st.StageStates[0].LatestExecution != nil && st.StageStates[0].LatestExecution.Status == cptypes.StageExecutionStatusFailed {
			t.Fatalf("the source stage failed: %+v", st.StageStates[0].ActionStates[0].LatestExecution.ErrorDetails)
		}
	}
	if token == "" {
		t.Fatal("the first run never reached its approval")
	}
	must[*codepipeline.PutApprovalResultOutput](t)(cp.PutApprovalResult(ctx, &codepipeline.PutApprovalResultInput{
		PipelineName: aws.String(name), StageName: aws.String("Approve"), ActionName: aws.String("Approval"), Token: aws.String(token),
		Result: &cptypes.ApprovalResult{Status: cptypes.ApprovalStatusApproved, Summary: aws.String("ship it")},
	}))
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		x := must[*codepipeline.GetPipelineExecutionOutput](t)(cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{
			PipelineName: aws.String(name), PipelineExecutionId: aws.String(id)}))
		if x.PipelineExecution.Status != cptypes.PipelineExecutionStatusInProgress {
			return x.PipelineExecution
		}
	}
	t.Fatalf("run %s did not end", id)
	return nil
}

func failedAction(t *testing.T, cp *codepipeline.Client, name, id string) *cptypes.ActionExecutionDetail {
	t.Helper()
	out := must[*codepipeline.ListActionExecutionsOutput](t)(cp.ListActionExecutions(context.Background(), &codepipeline.ListActionExecutionsInput{
		PipelineName: aws.String(name), Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: aws.String(id)}}))
	for i, d := range out.ActionExecutionDetails {
		if d.Status == cptypes.ActionExecutionStatusFailed {
			return &out.ActionExecutionDetails[i]
		}
	}
	return nil
}

// leftOver fails the test for anything of the configuration still in the local cloud: a
// bucket, a role, a pipeline, an alias, or a key not pending deletion.
func leftOver(t *testing.T, c *cloud) {
	t.Helper()
	ctx := context.Background()
	for _, acct := range []string{acctA, acctB} {
		b := c.c.As(acct, region)
		defer b.Close()
		if bs, err := b.ListBuckets(ctx); err != nil || len(bs) > 0 {
			t.Errorf("account %s: buckets left after destroy: %v (%v)", acct, bs, err)
		}
		if ps, err := b.ListPipelines(ctx); err != nil || len(ps) > 0 {
			t.Errorf("account %s: pipelines left after destroy: %v (%v)", acct, ps, err)
		}
		for _, role := range []string{"pipeline-service", "cross-account-deploy"} {
			if r, err := b.GetRole(ctx, role); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("account %s: role %s left after destroy: %v (%v)", acct, role, r, err)
			}
		}
		keys, err := b.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.CustomerManaged && k.State != backend.KeyStatePendingDeletion {
				t.Errorf("account %s: key %s is %s after destroy, want PendingDeletion", acct, k.ARN, k.State)
			}
		}
		aliases, err := b.ListAliases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aliases {
			if !strings.HasPrefix(a.Name, "alias/aws/") {
				t.Errorf("account %s: alias %s left after destroy", acct, a.Name)
			}
		}
	}
}
