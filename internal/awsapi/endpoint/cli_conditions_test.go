package endpoint_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/internal/awscli"
)

// TestAWSCLIConditions drives stage conditions and rollbacks with the AWS CLI v1 (botocore
// 1.43 knows them; the CLI v2 of this machine predates them): list-rule-types; a V2 pipeline
// whose Gate stage has a before_entry VariableCheck (gate EQ open) that fails its first run,
// which override-stage-condition then refuses and list-rule-executions shows failed; a run
// with gate=open let past a deployment window that never opens by override-stage-condition;
// rollback-stage of Gate refused to the failed run and done to the run that passed it. Every
// response is then validated against the service model.
func TestAWSCLIConditions(t *testing.T) {
	bin := awscli.Find(t, "1")
	c := newCloud(t)
	k := c.key(acctA)
	cli := awscli.New(t, bin, c.srv.URL, k.ID, k.Secret)
	s := &session{t: t, c: c, cli: cli, v1: true, dir: cli.Home}
	for _, b := range []string{"gate-source", "gate-artifacts", "gate-site"} {
		cli.OK(t, "make_bucket", "s3", "mb", "s3://"+b)
		cli.OK(t, "", "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	}
	cli.OK(t, "upload: ", "s3", "cp", s.file("app.zip", zipped(t, "index.html", "<h1>gated</h1>")), "s3://gate-source/app.zip")

	types := jsonOf(t, cli.OK(t, `"ruleTypes"`, "codepipeline", "list-rule-types", "--rule-owner-filter", "AWS"))
	var providers []string
	for _, rt := range types["ruleTypes"].([]any) {
		providers = append(providers, at(rt, "id", "provider").(string))
	}
	if got := strings.Join(providers, " "); got != "CloudWatchAlarm CodeBuild Commands DeploymentWindow LambdaInvoke VariableCheck" {
		t.Errorf("list-rule-types: %s", got)
	}

	rule := func(name, provider string, cfg map[string]any) map[string]any {
		return map[string]any{"name": name, "configuration": cfg,
			"ruleTypeId": map[string]any{"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"}}
	}
	deploy := func(name string) []any {
		return []any{map[string]any{"name": name, "actionTypeId": map[string]any{"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
			"configuration": map[string]any{"BucketName": "gate-site", "Extract": "true"}, "inputArtifacts": []any{map[string]any{"name": "app"}}}}
	}
	const name = "gated"
	decl, _ := json.Marshal(map[string]any{"pipeline": map[string]any{
		"name": name, "roleArn": "arn:aws:iam::111111111111:role/service", "pipelineType": "V2", "executionMode": "QUEUED",
		"artifactStore": map[string]any{"type": "S3", "location": "gate-artifacts"},
		"variables":     []any{map[string]any{"name": "gate", "defaultValue": "closed"}},
		"stages": []any{
			map[string]any{"name": "Source", "actions": []any{map[string]any{"name": "Source",
				"actionTypeId":    map[string]any{"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
				"configuration":   map[string]any{"S3Bucket": "gate-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
				"outputArtifacts": []any{map[string]any{"name": "app"}}}}},
			map[string]any{"name": "Gate", "actions": deploy("Site"), "beforeEntry": map[string]any{"conditions": []any{map[string]any{"result": "FAIL",
				"rules": []any{rule("GateOpen", "VariableCheck", map[string]any{"Variable": "#{variables.gate}", "Operator": "EQ", "Value": "open"})}}}}},
			map[string]any{"name": "Freeze", "actions": deploy("Again"), "beforeEntry": map[string]any{"conditions": []any{map[string]any{
				"rules": []any{rule("Never", "DeploymentWindow", map[string]any{"Cron": "* * * ? * * 1999"})}}}}},
		},
	}})
	cli.OK(t, `"beforeEntry"`, "codepipeline", "create-pipeline", "--cli-input-json", "file://"+s.file("gated.json", decl))

	// The run of the creation (gate=closed) fails at the gate, which cannot be overridden then.
	execs := jsonOf(t, cli.OK(t, "pipelineExecutionSummaries", "codepipeline", "list-pipeline-executions", "--pipeline-name", name))
	created, _ := at(execs, "pipelineExecutionSummaries", 0, "pipelineExecutionId").(string)
	if x := cliWaitForEnd(t, cli, name, created); at(x, "status") != "Failed" {
		t.Fatalf("the run with gate=closed ended %v (%v)", at(x, "status"), at(x, "statusSummary"))
	}
	cli.Fails(t, "ConditionNotOverridableException", "is Failed, not in progress", "codepipeline", "override-stage-condition", "--pipeline-name", name,
		"--stage-name", "Gate", "--pipeline-execution-id", created, "--condition-type", "BEFORE_ENTRY")
	failed := jsonOf(t, cli.OK(t, `"GateOpen"`, "codepipeline", "list-rule-executions", "--pipeline-name", name, "--filter", "pipelineExecutionId="+created))
	if at(failed, "ruleExecutionDetails", 0, "status") != "Failed" || at(failed, "ruleExecutionDetails", 0, "output", "executionResult", "errorDetails", "message") == nil {
		t.Errorf("list-rule-executions of the failed gate: %v", failed["ruleExecutionDetails"])
	}

	// gate=open passes the gate and waits for the window, until the condition is overridden.
	open, _ := jsonOf(t, cli.OK(t, "pipelineExecutionId", "codepipeline", "start-pipeline-execution", "--name", name,
		"--variables", "name=gate,value=open"))["pipelineExecutionId"].(string)
	waiting := false
	for deadline := time.Now().Add(60 * time.Second); !waiting && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rules := jsonOf(t, cli.OK(t, "ruleExecutionDetails", "codepipeline", "list-rule-executions", "--pipeline-name", name, "--filter", "pipelineExecutionId="+open))
		for _, d := range rules["ruleExecutionDetails"].([]any) {
			waiting = waiting || (at(d, "ruleName") == "Never" && at(d, "status") == "InProgress")
		}
	}
	if !waiting {
		t.Fatalf("list-rule-executions never showed execution %s waiting for the deployment window", open)
	}
	cli.OK(t, "", "codepipeline", "override-stage-condition", "--pipeline-name", name, "--stage-name", "Freeze",
		"--pipeline-execution-id", open, "--condition-type", "BEFORE_ENTRY")
	if x := cliWaitForEnd(t, cli, name, open); at(x, "status") != "Succeeded" {
		t.Fatalf("the overridden run ended %v (%v)", at(x, "status"), at(x, "statusSummary"))
	}
	rules := jsonOf(t, cli.OK(t, "ruleExecutionDetails", "codepipeline", "list-rule-executions", "--pipeline-name", name, "--filter", "pipelineExecutionId="+open))
	if at(rules, "ruleExecutionDetails", 0, "ruleName") != "Never" || at(rules, "ruleExecutionDetails", 0, "status") != "Abandoned" {
		t.Errorf("the overridden window's rule execution: %v", rules["ruleExecutionDetails"])
	}

	// Gate rolls back to the run that passed it, not to the one it stopped.
	cli.Fails(t, "UnableToRollbackStageException", "did not succeed in stage", "codepipeline", "rollback-stage", "--pipeline-name", name,
		"--stage-name", "Gate", "--target-pipeline-execution-id", created)
	rb, _ := jsonOf(t, cli.OK(t, "pipelineExecutionId", "codepipeline", "rollback-stage", "--pipeline-name", name,
		"--stage-name", "Gate", "--target-pipeline-execution-id", open))["pipelineExecutionId"].(string)
	x := cliWaitForEnd(t, cli, name, rb)
	if at(x, "status") != "Succeeded" || at(x, "executionType") != "ROLLBACK" || at(x, "rollbackMetadata", "rollbackTargetPipelineExecutionId") != open {
		t.Errorf("the rollback: %v", x)
	}
	if n := c.validate(t); n < 20 {
		t.Errorf("only %d responses validated", n)
	}
}

// cliWaitForEnd polls get-pipeline-execution until the execution ended, and returns it.
func cliWaitForEnd(t *testing.T, cli *awscli.CLI, name, id string) any {
	t.Helper()
	var x map[string]any
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		x = jsonOf(t, cli.OK(t, "pipelineExecution", "codepipeline", "get-pipeline-execution", "--pipeline-name", name, "--pipeline-execution-id", id))
		if st := at(x, "pipelineExecution", "status"); st != "InProgress" && st != "Stopping" {
			return x["pipelineExecution"]
		}
	}
	t.Fatalf("execution %s of %s did not end", id, name)
	return nil
}
