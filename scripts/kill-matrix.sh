#!/usr/bin/env bash
# The kill -9 matrix: drivers of local runs (the CLI, the provider under `terraform apply`, a
# driver storing a large artifact) killed at random moments, and what the next process finds:
# state errors, unreadable artifacts, stuck runs, files and processes left behind. All must be
# 0 (the script exits 1 otherwise). Bounded: -timeout (default 30m) and the `timeout` below.
#   scripts/kill-matrix.sh [-trials 20] [-size 200] [-scenarios cli,provider,store] [-keep]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1
tf=$(scripts/ensure-terraform.sh)
go build -o bin/codepipeline ./cmd/codepipeline
go build -o bin/terraform-provider-codepipeline .
go build -o bin/killmatrix ./scripts/killmatrix
exec timeout --kill-after=30s 40m bin/killmatrix -codepipeline bin/codepipeline -provider-dir bin -terraform "$tf" "$@"
