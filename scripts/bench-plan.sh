#!/usr/bin/env bash
# Measures `terraform plan` on PIPELINES pipelines × STAGES stages × ACTIONS actions (each
# pipeline with its own artifact store) against a baseline of as many terraform_data resources
# carrying the same data, in one run. Prints the medians over RUNS plans of the wall time, the
# CPU time and the peak RSS of terraform and of the provider processes, and the ratios
# provider/baseline. Each plan starts from an empty state (everything to create).
#
# The provider's peak memory comes from a wrapper named terraform-provider-codepipeline in the
# dev_overrides directory that runs the real binary under /usr/bin/time -v. The baseline has no
# plugin: its peak is terraform's own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PIPELINES=${PIPELINES:-100}
STAGES=${STAGES:-10}
ACTIONS=${ACTIONS:-5}
RUNS=${RUNS:-3}

[ -x /usr/bin/time ] || { echo "bench-plan: needs GNU time at /usr/bin/time" >&2; exit 1; }
tf=$(scripts/ensure-terraform.sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-plan.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# The provider, built once, behind the measuring wrapper.
mkdir -p "$work/real" "$work/plugins" "$work/rss" "$work/state"
go build -o "$work/real/terraform-provider-codepipeline" .
cat >"$work/plugins/terraform-provider-codepipeline" <<EOF
#!/bin/sh
exec /usr/bin/time -v -o "$work/rss/provider.\$\$" "$work/real/terraform-provider-codepipeline" "\$@"
EOF
chmod +x "$work/plugins/terraform-provider-codepipeline"
printf 'provider_installation {\n  dev_overrides {\n    "pipelinekit/codepipeline" = "%s"\n  }\n  direct {}\n}\n' "$work/plugins" >"$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CODEPIPELINE_STATE_DIR="$work/state"

for kind in baseline provider; do
	go run ./scripts/benchplan -kind "$kind" -out "$work/$kind" \
		-pipelines "$PIPELINES" -stages "$STAGES" -actions "$ACTIONS"
done
# Only the baseline is initialized: with dev_overrides, terraform says to skip init, and init
# would ask the registry for the overridden provider (offline, it fails).
(cd "$work/baseline" && "$tf" init -input=false -no-color >/dev/null) || {
	echo "bench-plan: terraform init failed in the baseline configuration" >&2; exit 1; }

# cpu_s FILE...: user + system CPU seconds summed over /usr/bin/time -v reports.
cpu_s() {
	local f
	for f in "$@"; do
		if [ -f "$f" ]; then sed -n 's/.*\(User\|System\) time (seconds): *//p' "$f"; fi
	done | awk '{s += $1} END {printf "%.2f\n", s}'
}

# max_rss_kb FILE...: the largest "Maximum resident set size" among /usr/bin/time -v reports.
max_rss_kb() {
	local f max=0 v
	for f in "$@"; do
		[ -f "$f" ] || continue
		v=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$f")
		[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
	done
	echo "$max"
}

# median: the median of the numbers on stdin.
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

declare -A wall tfrss provrss tfcpu provcpu
for kind in baseline provider; do
	: >"$work/$kind.wall"; : >"$work/$kind.tfrss"; : >"$work/$kind.provrss"; : >"$work/$kind.tfcpu"; : >"$work/$kind.provcpu"
	for run in $(seq "$RUNS"); do
		rm -f "$work/rss"/provider.*
		start=$(date +%s.%N)
		if ! (cd "$work/$kind" && /usr/bin/time -v -o "$work/rss/terraform" \
			"$tf" plan -input=false -no-color -lock=false >"$work/$kind.plan.log" 2>&1); then
			echo "bench-plan: terraform plan failed in the $kind configuration:" >&2
			tail -30 "$work/$kind.plan.log" >&2
			exit 1
		fi
		end=$(date +%s.%N)
		echo "$end - $start" | bc -l >>"$work/$kind.wall"
		max_rss_kb "$work/rss/terraform" >>"$work/$kind.tfrss"
		max_rss_kb "$work/rss"/provider.* >>"$work/$kind.provrss"
		cpu_s "$work/rss/terraform" >>"$work/$kind.tfcpu"
		cpu_s "$work/rss"/provider.* >>"$work/$kind.provcpu"
		echo "  $kind run $run: $(tail -1 "$work/$kind.wall" | xargs printf '%.2f')s" >&2
	done
	wall[$kind]=$(median <"$work/$kind.wall")
	tfrss[$kind]=$(median <"$work/$kind.tfrss")
	provrss[$kind]=$(median <"$work/$kind.provrss")
	tfcpu[$kind]=$(median <"$work/$kind.tfcpu")
	provcpu[$kind]=$(median <"$work/$kind.provcpu")
done

mb() { awk -v kb="$1" 'BEGIN {printf "%.0f", kb/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
resources=$((PIPELINES * 2))
echo
echo "terraform plan, $PIPELINES pipelines × $STAGES stages × $ACTIONS actions + $PIPELINES stores ($resources resources), median of $RUNS runs"
echo "(CPU is user+system seconds: less sensitive than wall time to other load on the machine; the provider's"
echo " figures cover every provider process terraform started for the plan, RSS is the largest of them)"
echo
printf '| %-29s | %8s | %10s | %12s | %11s | %13s |\n' "configuration" "wall (s)" "tf CPU (s)" "prov CPU (s)" "tf RSS (MB)" "prov RSS (MB)"
printf '|%s|%s|%s|%s|%s|%s|\n' "-------------------------------" "----------" "------------" "--------------" "-------------" "---------------"
printf '| %-29s | %8.2f | %10.2f | %12s | %11s | %13s |\n' "baseline: terraform_data" "${wall[baseline]}" "${tfcpu[baseline]}" "-" "$(mb "${tfrss[baseline]}")" "-"
printf '| %-29s | %8.2f | %10.2f | %12.2f | %11s | %13s |\n' "codepipeline pipeline + store" "${wall[provider]}" "${tfcpu[provider]}" "${provcpu[provider]}" "$(mb "${tfrss[provider]}")" "$(mb "${provrss[provider]}")"
echo
echo "ratio provider/baseline, wall time:                                  $(ratio "${wall[provider]}" "${wall[baseline]}")×"
echo "ratio provider/baseline, CPU (terraform + provider vs terraform):    $(ratio "$(awk -v a="${tfcpu[provider]}" -v b="${provcpu[provider]}" 'BEGIN {print a+b}')" "${tfcpu[baseline]}")×"
echo "ratio provider/baseline, peak memory (provider process vs terraform): $(ratio "${provrss[provider]}" "${tfrss[baseline]}")×"
echo "ratio provider/baseline, peak memory (terraform + provider vs terraform): $(ratio "$((${tfrss[provider]} + ${provrss[provider]}))" "${tfrss[baseline]}")×"
