package check

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readConfig writes files (path → content) into a temporary root and reads it.
func readConfig(t *testing.T, files map[string]string) *Inventory {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func addresses(inv *Inventory) []string {
	var out []string
	for _, r := range inv.Resources {
		out = append(out, r.Address)
	}
	sort.Strings(out)
	return out
}

func resourceAt(t *testing.T, inv *Inventory, addr string) *Resource {
	t.Helper()
	for _, r := range inv.Resources {
		if r.Address == addr {
			return r
		}
	}
	t.Fatalf("no resource %s among %v", addr, addresses(inv))
	return nil
}

// TestInstances: count and for_each make the instances terraform would, a count of 0 none, and
// one that is not known a single instance standing for zero or more, with count.index unknown.
func TestInstances(t *testing.T) {
	inv := readConfig(t, map[string]string{"main.tf": `
variable "on" {
  default = false
}
variable "unknown" {}
resource "aws_s3_bucket" "off" {
  count  = var.on ? 1 : 0
  bucket = "off"
}
resource "aws_s3_bucket" "two" {
  count  = 2
  bucket = "b-${count.index}"
}
resource "aws_s3_bucket" "keyed" {
  for_each = toset(["a", "b"])
  bucket   = "k-${each.key}"
}
resource "aws_s3_bucket" "maybe" {
  count  = var.unknown ? 1 : 0
  bucket = "m-${count.index}"
}
`})
	want := []string{`aws_s3_bucket.keyed["a"]`, `aws_s3_bucket.keyed["b"]`, "aws_s3_bucket.maybe[*]", "aws_s3_bucket.two[0]", "aws_s3_bucket.two[1]"}
	if diff := cmp.Diff(want, addresses(inv)); diff != "" {
		t.Fatalf("instances (-want +got):\n%s", diff)
	}
	if v := resourceAt(t, inv, "aws_s3_bucket.two[1]").Values["bucket"]; v != "b-1" {
		t.Errorf("count.index: bucket = %v", v)
	}
	maybe := resourceAt(t, inv, "aws_s3_bucket.maybe[*]")
	if !maybe.Uncounted || !isUnknown(maybe.Values["bucket"]) {
		t.Errorf("an unknown count: Uncounted %t, bucket %v; want true and unknown", maybe.Uncounted, maybe.Values["bucket"])
	}
}

// TestDynamicBlocks: dynamic blocks are expanded in place among static ones, nested, with
// custom iterators; one over an unknown collection makes that block list unknown.
func TestDynamicBlocks(t *testing.T) {
	inv := readConfig(t, map[string]string{"main.tf": `
variable "later" {}
locals {
  stages = { b = ["x"], c = ["y", "z"] }
}
resource "aws_codepipeline" "p" {
  stage {
    name = "a"
  }
  dynamic "stage" {
    for_each = local.stages
    iterator = st
    content {
      name = st.key
      dynamic "action" {
        for_each = st.value
        content {
          name = "${st.key}-${action.value}"
        }
      }
    }
  }
  dynamic "trigger" {
    for_each = var.later
    content {
      provider_type = "CodeStarSourceConnection"
    }
  }
}
`})
	p := resourceAt(t, inv, "aws_codepipeline.p")
	var names []any
	for i := 0; i < 3; i++ {
		names = append(names, getPath(p.Values, join("stage", i, "name")))
	}
	if diff := cmp.Diff([]any{"a", "b", "c"}, names); diff != "" {
		t.Errorf("stage names (-want +got):\n%s", diff)
	}
	if got := getPath(p.Values, "stage.2.action.1.name"); got != "c-z" {
		t.Errorf("nested dynamic action: %v", got)
	}
	if !isUnknown(p.Values["trigger"]) {
		t.Errorf("trigger over an unknown collection: %v, want unknown", p.Values["trigger"])
	}
}

// TestModulesFollowed: a local module is read with the call's arguments (a variable without
// an argument or default is unknown), a registry module is a notice, and the instances of a
// module with for_each carry its key in their addresses.
func TestModulesFollowed(t *testing.T) {
	inv := readConfig(t, map[string]string{
		"main.tf": `
module "label" {
  source = "example/label/null"
}
module "store" {
  source   = "./store"
  for_each = { a = "alpha" }
  name     = each.value
  label    = module.label.id
}
`,
		"store/main.tf": `
variable "name" {}
variable "label" {}
variable "missing" {}
resource "aws_s3_bucket" "b" {
  bucket = var.name
  tags   = { label = var.label, missing = var.missing }
}
`,
	})
	b := resourceAt(t, inv, `module.store["a"].aws_s3_bucket.b`)
	if b.Values["bucket"] != "alpha" {
		t.Errorf("bucket = %v, want the call's argument", b.Values["bucket"])
	}
	if tags := b.Values["tags"].(map[string]any); !isUnknown(tags["label"]) || !isUnknown(tags["missing"]) {
		t.Errorf("tags = %v: an output of a module not followed and a variable without a value must be unknown", tags)
	}
	if len(inv.Notices) != 1 || inv.Notices[0].Kind != NoticeModuleNotFollowed || inv.Notices[0].Subject != "module.label" {
		t.Errorf("notices = %+v, want module.label not followed", inv.Notices)
	}
}

// TestLinks: a value read from a resource, however indirectly, is linked to it; one that may
// come from elsewhere is not.
func TestLinks(t *testing.T) {
	inv := readConfig(t, map[string]string{"main.tf": `
variable "existing" {}
variable "create" {
  default = true
}
resource "aws_s3_bucket" "b" {
  count         = var.create ? 1 : 0
  bucket_prefix = "x-"
}
locals {
  bucket = one(aws_s3_bucket.b[*].bucket)
}
resource "aws_codepipeline" "p" {
  artifact_store {
    location = local.bucket
  }
  artifact_store {
    location = join("", aws_s3_bucket.b.*.id)
  }
  artifact_store {
    location = var.existing != "" ? var.existing : aws_s3_bucket.b[0].bucket
  }
}
`})
	p := resourceAt(t, inv, "aws_codepipeline.p")
	links := map[string]string{}
	for path, l := range p.Links {
		links[path] = l.Res.Address + "." + l.Attr
	}
	want := map[string]string{
		"artifact_store.0.location": "aws_s3_bucket.b[0].bucket",
		"artifact_store.1.location": "aws_s3_bucket.b[0].id",
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// TestReaderSurvivesOddConfigurations: cycles, a module calling itself, references to what does
// not exist, functions the reader does not know, and files outside the configuration leave
// values unknown; nothing panics or loops.
func TestReaderSurvivesOddConfigurations(t *testing.T) {
	inv := readConfig(t, map[string]string{
		"main.tf": `
locals {
  a = local.b
  b = "${local.a}-x"
}
module "self" {
  source = "./"
}
resource "aws_s3_bucket" "b" {
  bucket = local.a
  tags = {
    missing = aws_s3_bucket.nope.arn
    time    = timestamp()
    unknown = no_such_function(1)
    secret  = file("/etc/passwd")
    up      = file("../outside.txt")
    self    = aws_s3_bucket.b.arn
  }
}
`,
	})
	for _, r := range inv.Resources {
		if r.Type != "aws_s3_bucket" {
			continue
		}
		if !isUnknown(r.Values["bucket"]) {
			t.Errorf("%s: a value on a reference cycle: %v, want unknown", r.Address, r.Values["bucket"])
		}
		for k, v := range r.Values["tags"].(map[string]any) {
			if !isUnknown(v) {
				t.Errorf("%s: tags.%s = %v, want unknown", r.Address, k, v)
			}
		}
	}
	if len(inv.Resources) == 0 || len(inv.Resources) > maxModuleDepth+1 {
		t.Errorf("%d instances of a module calling itself", len(inv.Resources))
	}
}
