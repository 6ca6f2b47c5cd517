package check

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// benchPlan builds a plan JSON of n cross-account aws_codepipeline pipelines, each with its
// own versioned bucket, bucket policy and key, wired by references as in the fixtures, so
// that the benchmark exercises reading, linking and every rule.
func benchPlan(n int) []byte {
	var changes, planned, cfgRes []any
	add := func(typ, name string, after, unknown map[string]any, exprs map[string]any) {
		addr := typ + "." + name
		changes = append(changes, map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name,
			"provider_name": "registry.terraform.io/hashicorp/aws",
			"change":        map[string]any{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": unknown}})
		planned = append(planned, map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name, "values": after})
		cfgRes = append(cfgRes, map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name, "provider_config_key": "aws", "expressions": exprs})
	}
	ref := func(r ...string) map[string]any { return map[string]any{"references": r} }
	for i := 0; i < n; i++ {
		b := fmt.Sprintf("artifacts-%04d", i)
		role := fmt.Sprintf("arn:aws:iam::222222222222:role/deploy-%d", i)
		add("aws_s3_bucket", b, map[string]any{"bucket": b, "id": b}, map[string]any{"arn": true}, map[string]any{"bucket": map[string]any{"constant_value": b}})
		add("aws_s3_bucket_versioning", b, map[string]any{"bucket": b, "versioning_configuration": []any{map[string]any{"status": "Enabled"}}}, map[string]any{},
			map[string]any{"bucket": ref("aws_s3_bucket."+b+".id", "aws_s3_bucket."+b)})
		pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":["s3:Get*","s3:Put*"],"Resource":"arn:aws:s3:::%s/*"},{"Effect":"Allow","Principal":{"AWS":%q},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::%s"}]}`, role, b, role, b)
		add("aws_s3_bucket_policy", b, map[string]any{"bucket": b, "policy": pol}, map[string]any{}, map[string]any{"bucket": ref("aws_s3_bucket."+b+".id", "aws_s3_bucket."+b)})
		kpol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*"}]}`, role)
		add("aws_kms_key", b, map[string]any{"enable_key_rotation": true, "policy": kpol}, map[string]any{"arn": true, "key_id": true},
			map[string]any{"policy": map[string]any{"constant_value": kpol}})
		action := func(name, cat, prov string, cfg map[string]any, ins, outs []string, role any) map[string]any {
			return map[string]any{"name": name, "category": cat, "owner": "AWS", "provider": prov, "version": "1", "configuration": cfg,
				"input_artifacts": ins, "output_artifacts": outs, "run_order": 1, "role_arn": role}
		}
		stages := []any{
			map[string]any{"name": "Source", "action": []any{action("Source", "Source", "CodeStarSourceConnection",
				map[string]any{"ConnectionArn": "arn:aws:codestar-connections:eu-west-1:111111111111:connection/x", "FullRepositoryId": "acme/app", "BranchName": "main"}, nil, []string{"src"}, nil)}},
			map[string]any{"name": "Build", "action": []any{action("Build", "Build", "CodeBuild", map[string]any{"ProjectName": "app"}, []string{"src"}, []string{"out"}, nil)}},
			map[string]any{"name": "Deploy", "action": []any{action("Deploy", "Deploy", "S3", map[string]any{"BucketName": "site", "Extract": "true"}, []string{"out"}, nil, role)}},
		}
		after := map[string]any{"name": b, "role_arn": "arn:aws:iam::111111111111:role/codepipeline", "pipeline_type": "V2", "stage": stages,
			"artifact_store": []any{map[string]any{"location": b, "type": "S3", "encryption_key": []any{map[string]any{"type": "KMS"}}}}}
		unknown := map[string]any{"artifact_store": []any{map[string]any{"encryption_key": []any{map[string]any{"id": true}}}}}
		exprs := map[string]any{"artifact_store": []any{map[string]any{
			"location":       ref("aws_s3_bucket."+b+".bucket", "aws_s3_bucket."+b),
			"encryption_key": []any{map[string]any{"id": ref("aws_kms_key."+b+".arn", "aws_kms_key."+b)}},
		}}}
		add("aws_codepipeline", b, after, unknown, exprs)
	}
	plan := map[string]any{
		"format_version": "1.2", "terraform_version": "1.9.8",
		"planned_values":   map[string]any{"root_module": map[string]any{"resources": planned}},
		"resource_changes": changes,
		"configuration": map[string]any{
			"provider_config": map[string]any{"aws": map[string]any{"name": "aws", "expressions": map[string]any{"allowed_account_ids": map[string]any{"constant_value": []string{"111111111111"}}}}},
			"root_module":     map[string]any{"resources": cfgRes},
		},
	}
	data, err := json.Marshal(plan)
	if err != nil {
		panic(err)
	}
	return data
}

func TestBenchPlanIsClean(t *testing.T) {
	inv, err := ReadPlan("bench.json", benchPlan(3))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 3 || len(rep.Findings) != 0 {
		t.Fatalf("checked %d, findings %v; want 3 clean pipelines", rep.Checked, rep.Findings)
	}
}

// BenchmarkCheckPlan reads, links and checks a plan of 1,000 pipelines (5,000 resources);
// BenchmarkDecodePlanJSON only decodes the same bytes into terraform-json's Plan, the floor
// any plan checker pays. Run them together to compare.
func BenchmarkCheckPlan(b *testing.B) {
	data := benchPlan(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		inv, err := ReadPlan("bench.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Check(inv, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePlanJSON(b *testing.B) {
	data := benchPlan(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p tfjson.Plan
		if err := json.Unmarshal(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckLargestCorpusCase reads and checks the largest configuration of the corpus
// (three accounts, nested modules with for_each, dynamic stages), as a .tf directory and as
// its plan.
func BenchmarkCheckLargestCorpusCase(b *testing.B) {
	for _, input := range []string{"testdata/corpus/platform-multi-account", "testdata/corpus/platform-multi-account/plan.json"} {
		b.Run(filepath.Base(input), func(b *testing.B) {
			for b.Loop() {
				inv, err := Load(input)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Check(inv, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
