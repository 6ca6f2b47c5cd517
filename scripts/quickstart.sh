#!/usr/bin/env bash
# The main job, told as it happens: build the provider and the CLI, apply the quickstart
# pipeline on the local backend, follow its run live, print the deployed page, and say what to
# try next. Offline. `scripts/quickstart.sh destroy` removes all of it: the resources, the local
# cloud's state and the app's repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

tf=$(scripts/ensure-terraform.sh)
step "Building the provider and the codepipeline CLI into bin/"
make -s install >/dev/null
go build -o bin/codepipeline ./cmd/codepipeline
cli="$root/bin/codepipeline"
export TF_CLI_CONFIG_FILE="$root/.tools/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cd examples/quickstart

if [ "${1:-}" = destroy ]; then
	step "Destroying the quickstart"
	"$tf" destroy -auto-approve -input=false -compact-warnings | grep -E '(Destroying|Destruction complete|Destroy complete|Error)' || true
	rm -rf .work .terraform terraform.tfstate terraform.tfstate.backup
	echo "Removed the quickstart's resources, its local cloud (examples/quickstart/.work/state) and its repository (.work/repos)."
	exit 0
fi

mkdir -p .work
step "Applying examples/quickstart with $("$tf" version | head -1): a git repository, two buckets, the pipeline, and a run"
echo "terraform warns \"Provider development overrides are in effect\": expected, it is the provider just built in bin/ (see make install)."
echo "(the whole plan and apply output: examples/quickstart/.work/apply.log)"
# With dev_overrides there is nothing to install: `terraform init` is not needed (and would ask
# the registry, which is not reachable offline). The run is started, not waited for: the CLI
# shows it live below.
if ! "$tf" apply -auto-approve -input=false -compact-warnings -no-color -var wait_for_run=false >.work/apply.log 2>&1; then
	sed -n '/Error:/,$p' .work/apply.log
	echo "terraform apply failed; the whole output is in examples/quickstart/.work/apply.log" >&2
	exit 1
fi
grep -E '^(codepipeline_|terraform_data).*: (Creation|Modifications|Destruction) complete|^Apply complete' .work/apply.log || true
run_id=$("$tf" output -raw run_id)

step "The run, live, its stages in pipeline order (codepipeline runs show quickstart -watch)"
status=0
"$cli" runs show quickstart "$run_id" -watch || status=$?

step "The deployed page (codepipeline s3 cat s3://quickstart-site/index.html)"
"$cli" s3 cat s3://quickstart-site/index.html || status=$?

step "Try next"
cat <<EOF
  export PATH="\$PWD/bin:\$PATH"                 # the CLI this built
  cd examples/quickstart                         # where terraform ran: the CLI finds its state from here
  codepipeline runs list quickstart              # every run of the pipeline
  codepipeline runs logs quickstart $run_id Test Html
  codepipeline -h                                # every command, with examples

  Edit examples/quickstart/app/src/index.html.in and run make quickstart again: a new run deploys it.
  Read docs/guides/local-backend.md (what runs locally), docs/guides/triggers.md (codepipeline serve
  starts runs on commits) and examples/cross-account (a deploy into another account).
  scripts/quickstart.sh destroy removes the quickstart, its state and its repository.
EOF
exit "$status"
