#!/usr/bin/env bash
# The main job: build the provider, then apply the quickstart pipeline on the local backend and
# run it, offline. `scripts/quickstart.sh destroy` removes what it created.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tf=$(scripts/ensure-terraform.sh)
make -s install >/dev/null
export TF_CLI_CONFIG_FILE="$root/.tools/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cd examples/quickstart
if [ "${1:-}" = destroy ]; then
	exec "$tf" destroy -auto-approve -input=false
fi
# With dev_overrides there is nothing to install: `terraform init` is not needed (and would
# ask the registry, which is not reachable offline).
"$tf" apply -auto-approve -input=false
echo
echo "Run status: $("$tf" output -raw run_status)"
"$tf" output stages
echo "Deployed:   $("$tf" output -raw deployed_to)"
