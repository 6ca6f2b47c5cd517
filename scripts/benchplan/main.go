// Command benchplan writes the configurations that scripts/bench-plan.sh plans: N pipelines of
// S stages of A actions with artifacts flowing stage to stage, each with its own artifact
// store, either as codepipeline resources or as terraform_data resources whose input is the
// same nested object (the baseline: Terraform's own cost for the same data), or as the AWS
// provider's aws_s3_bucket and aws_codepipeline resources with the same blocks (kind aws, its
// provider configured to plan offline).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
)

func main() {
	out := flag.String("out", "", "directory to write main.tf into")
	kind := flag.String("kind", "provider", "provider (codepipeline resources), baseline (terraform_data) or aws (aws_codepipeline)")
	pipelines := flag.Int("pipelines", 100, "number of pipelines")
	stages := flag.Int("stages", 10, "stages per pipeline, the first a source stage")
	actions := flag.Int("actions", 5, "actions per stage")
	flag.Parse()
	if *out == "" || (*kind != "provider" && *kind != "baseline" && *kind != "aws") || *stages < 2 || *actions < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var b strings.Builder
	if *kind == "provider" {
		b.WriteString("terraform {\n  required_providers {\n    codepipeline = { source = \"pipelinekit/codepipeline\" }\n  }\n}\n\nprovider \"codepipeline\" {}\n")
	}
	if *kind == "aws" {
		// Static credentials and no account lookup: planning creates calls no AWS API.
		b.WriteString("terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = \"5.100.0\" }\n  }\n}\n\n" +
			"provider \"aws\" {\n  region                      = \"us-east-1\"\n  access_key                  = \"bench\"\n  secret_key                  = \"bench\"\n" +
			"  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n}\n")
	}
	for p := range *pipelines {
		writePipeline(&b, *kind, p, *stages, *actions)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "main.tf"), []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// action is one action of the generated pipelines.
type action struct {
	name, category, provider string
	config                   map[string]string
	inputs, outputs          []string
}

// stagesOf is the pipeline's stages: a source stage whose actions each produce an artifact,
// then stages whose action j reads what action j of the stage before produced.
func stagesOf(p, stages, actions int) (names []string, acts [][]action) {
	for s := range stages {
		var row []action
		for a := range actions {
			out := fmt.Sprintf("a%02d_%d", s, a)
			if s == 0 {
				row = append(row, action{
					name: fmt.Sprintf("Checkout%d", a), category: "Source", provider: "CodeCommit",
					config:  map[string]string{"RepositoryName": fmt.Sprintf("repo-%03d-%d", p, a), "BranchName": "main"},
					outputs: []string{out},
				})
				continue
			}
			row = append(row, action{
				name: fmt.Sprintf("Build%d", a), category: "Build", provider: "CodeBuild",
				config: map[string]string{"ProjectName": fmt.Sprintf("project-%03d-%02d-%d", p, s, a)},
				inputs: []string{fmt.Sprintf("a%02d_%d", s-1, a)}, outputs: []string{out},
			})
		}
		name := fmt.Sprintf("Stage%02d", s)
		if s == 0 {
			name = "Source"
		}
		names = append(names, name)
		acts = append(acts, row)
	}
	return names, acts
}

func writePipeline(b *strings.Builder, kind string, p, stages, actions int) {
	bucket := fmt.Sprintf("bench-artifacts-%03d", p)
	name := fmt.Sprintf("bench-%03d", p)
	role := arn.AWS.Role("111111111111", "pipeline")
	names, acts := stagesOf(p, stages, actions)
	if kind == "provider" || kind == "aws" {
		store, pipe := "codepipeline_artifact_store", "codepipeline_pipeline"
		if kind == "aws" {
			store, pipe = "aws_s3_bucket", "aws_codepipeline"
		}
		fmt.Fprintf(b, "\nresource %q \"s%03d\" {\n  bucket = %q\n}\n", store, p, bucket)
		fmt.Fprintf(b, "\nresource %q \"p%03d\" {\n  name     = %q\n  role_arn = %q\n", pipe, p, name, role)
		fmt.Fprintf(b, "  artifact_store {\n    location = %s.s%03d.bucket\n    type     = \"S3\"\n  }\n", store, p)
		for s, row := range acts {
			fmt.Fprintf(b, "  stage {\n    name = %q\n", names[s])
			for _, a := range row {
				fmt.Fprintf(b, "    action {\n      name     = %q\n      category = %q\n      owner    = \"AWS\"\n      provider = %q\n      version  = \"1\"\n",
					a.name, a.category, a.provider)
				writeAttrs(b, "      ", a)
				b.WriteString("    }\n")
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
		return
	}
	fmt.Fprintf(b, "\nresource \"terraform_data\" \"s%03d\" {\n  input = { bucket = %q }\n}\n", p, bucket)
	fmt.Fprintf(b, "\nresource \"terraform_data\" \"p%03d\" {\n  input = {\n    name     = %q\n    role_arn = %q\n", p, name, role)
	fmt.Fprintf(b, "    artifact_store = [{ location = terraform_data.s%03d.input.bucket, type = \"S3\" }]\n    stage = [\n", p)
	for s, row := range acts {
		fmt.Fprintf(b, "      {\n        name = %q\n        action = [\n", names[s])
		for _, a := range row {
			fmt.Fprintf(b, "          {\n            name     = %q\n            category = %q\n            owner    = \"AWS\"\n            provider = %q\n            version  = \"1\"\n",
				a.name, a.category, a.provider)
			writeAttrs(b, "            ", a)
			b.WriteString("          },\n")
		}
		b.WriteString("        ]\n      },\n")
	}
	b.WriteString("    ]\n  }\n}\n")
}

// writeAttrs writes an action's configuration and artifacts, the same HCL in both kinds.
func writeAttrs(b *strings.Builder, indent string, a action) {
	b.WriteString(indent + "configuration = {\n")
	for _, k := range []string{"RepositoryName", "BranchName", "ProjectName"} {
		if v, ok := a.config[k]; ok {
			fmt.Fprintf(b, "%s  %s = %q\n", indent, k, v)
		}
	}
	b.WriteString(indent + "}\n")
	if len(a.inputs) > 0 {
		fmt.Fprintf(b, "%sinput_artifacts  = %s\n", indent, hclList(a.inputs))
	}
	fmt.Fprintf(b, "%soutput_artifacts = %s\n", indent, hclList(a.outputs))
}

func hclList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
