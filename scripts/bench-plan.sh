#!/usr/bin/env bash
# Measures `terraform plan` on N pipelines × STAGES stages × ACTIONS actions (each pipeline with
# its own artifact store) for each N of PIPELINES, in one run, against:
#   - baseline: as many terraform_data resources carrying the same data (Terraform's own cost);
#   - aws: the AWS provider 5.100.0's aws_s3_bucket + aws_codepipeline with the same blocks,
#     installed offline from its filesystem mirror (CODEPIPELINE_TF_PLUGIN_MIRROR, else found on
#     the machine), at each N of AWS_PIPELINES;
# and `terraform apply` of APPLY_PIPELINES pipelines against terraform_data. Prints the medians
# over RUNS of the wall time, the CPU time and the peak RSS of terraform and of the provider
# processes, and the ratios. Each plan starts from an empty state (everything to create); each
# apply from an empty state and an empty local cloud.
#
# terraform runs under /usr/bin/time -v, whose CPU times and peak RSS include the plugin
# processes terraform started and reaped (measured: a plugin wrapper burning 1.4 s of CPU per
# start added 1.4 s per start to terraform's figure), so "CPU (s)" is the whole plan's CPU and
# the CPU ratios compare it alone. The provider's own share and peak memory come from a wrapper
# named terraform-provider-codepipeline in the dev_overrides directory that runs the real binary
# under /usr/bin/time -v. (Before this script said so, it added the provider's CPU to
# terraform's again: the "as first measured" line repeats that sum for comparison with older
# figures.)
#
# PROVIDER_SRC builds the provider from another checkout (for a before/after comparison).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PIPELINES=${PIPELINES:-10 50 100}
AWS_PIPELINES=${AWS_PIPELINES-50}   # empty: no aws column
APPLY_PIPELINES=${APPLY_PIPELINES-50}   # empty: no apply
STAGES=${STAGES:-10}
ACTIONS=${ACTIONS:-5}
RUNS=${RUNS:-3}
PROVIDER_SRC=${PROVIDER_SRC:-$root}

[ -x /usr/bin/time ] || { echo "bench-plan: needs GNU time at /usr/bin/time" >&2; exit 1; }
tf=$(scripts/ensure-terraform.sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-plan.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

mirror=${CODEPIPELINE_TF_PLUGIN_MIRROR:-}
if [ -z "$mirror" ]; then
	for d in /opt/tf-plugins /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
		[ -d "$d/registry.terraform.io/hashicorp/aws" ] && { mirror=$d; break; }
	done
fi
if [ -z "$mirror" ]; then
	found=$(find / -xdev -type d -path '*registry.terraform.io/hashicorp/aws' 2>/dev/null | head -1 || true)
	[ -n "$found" ] && mirror=${found%/registry.terraform.io/hashicorp/aws}
fi
[ -n "$mirror" ] && [ -d "$mirror/registry.terraform.io/hashicorp/aws" ] || {
	echo "bench-plan: no filesystem mirror of the AWS provider: set CODEPIPELINE_TF_PLUGIN_MIRROR to a directory holding registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/" >&2
	exit 1
}

# The provider, built once, behind the measuring wrapper.
mkdir -p "$work/real" "$work/plugins" "$work/rss"
(cd "$PROVIDER_SRC" && go build -o "$work/real/terraform-provider-codepipeline" .)
cat >"$work/plugins/terraform-provider-codepipeline" <<EOF
#!/bin/sh
exec /usr/bin/time -v -o "$work/rss/provider.\$\$" "$work/real/terraform-provider-codepipeline" "\$@"
EOF
chmod +x "$work/plugins/terraform-provider-codepipeline"
cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "pipelinekit/codepipeline" = "$work/plugins"
  }
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraformrc"

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
mb() { awk -v kb="$1" 'BEGIN {printf "%.0f", kb/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN {print a+b}'; }

# prepare KIND N: writes and initializes the configuration of KIND with N pipelines in
# $work/KIND-N. With dev_overrides terraform says to skip init for the overridden provider, and
# init would ask the registry for it: only the baseline and aws are initialized.
prepare() {
	local kind=$1 n=$2 dir="$work/$1-$2"
	go run ./scripts/benchplan -kind "$kind" -out "$dir" -pipelines "$n" -stages "$STAGES" -actions "$ACTIONS"
	if [ "$kind" != provider ]; then
		(cd "$dir" && "$tf" init -input=false -no-color >"$dir/init.log" 2>&1) || {
			echo "bench-plan: terraform init failed in the $kind configuration:" >&2; tail -20 "$dir/init.log" >&2; exit 1; }
	fi
}

# measure KIND N OP: runs terraform OP (plan or apply) RUNS times in $work/KIND-N, each from an
# empty state, and sets the medians in wall, tfcpu, provcpu, tfrss, provrss.
declare -A wall tfcpu provcpu tfrss provrss
measure() {
	local kind=$1 n=$2 op=$3 dir="$work/$1-$2" key="$1-$2-$3" run start end
	local args=(plan -input=false -no-color -lock=false)
	[ "$op" = apply ] && args=(apply -input=false -no-color -lock=false -auto-approve)
	: >"$dir/wall"; : >"$dir/tfcpu"; : >"$dir/provcpu"; : >"$dir/tfrss"; : >"$dir/provrss"
	for run in $(seq "$RUNS"); do
		rm -rf "$work/rss"/provider.* "$dir/terraform.tfstate" "$dir/terraform.tfstate.backup" "$work/state"
		mkdir -p "$work/state"
		start=$(date +%s.%N)
		if ! (cd "$dir" && CODEPIPELINE_STATE_DIR="$work/state" /usr/bin/time -v -o "$work/rss/terraform" \
			"$tf" "${args[@]}" >"$dir/$op.log" 2>&1); then
			echo "bench-plan: terraform $op failed in the $kind configuration:" >&2
			tail -30 "$dir/$op.log" >&2
			exit 1
		fi
		end=$(date +%s.%N)
		echo "$end - $start" | bc -l >>"$dir/wall"
		max_rss_kb "$work/rss/terraform" >>"$dir/tfrss"
		max_rss_kb "$work/rss"/provider.* >>"$dir/provrss"
		cpu_s "$work/rss/terraform" >>"$dir/tfcpu"
		cpu_s "$work/rss"/provider.* >>"$dir/provcpu"
		echo "  $op $kind N=$n run $run: $(tail -1 "$dir/wall" | xargs printf '%.2f')s" >&2
	done
	wall[$key]=$(median <"$dir/wall")
	tfcpu[$key]=$(median <"$dir/tfcpu")
	provcpu[$key]=$(median <"$dir/provcpu")
	tfrss[$key]=$(median <"$dir/tfrss")
	provrss[$key]=$(median <"$dir/provrss")
}

row() { # row LABEL KEY
	local k=$2 pc=${provcpu[$2]} pr=${provrss[$2]}
	[ "$pr" = 0 ] && pr=- || pr=$(mb "$pr")
	[ "$pc" = 0.00 ] && pc=-
	printf '| %-30s | %8.2f | %10.2f | %12s | %11s | %13s |\n' "$1" "${wall[$k]}" "${tfcpu[$k]}" "$pc" "$(mb "${tfrss[$k]}")" "$pr"
}
header() {
	printf '| %-30s | %8s | %10s | %12s | %11s | %13s |\n' "configuration" "wall (s)" "CPU (s)" "prov CPU (s)" "max RSS (MB)" "prov RSS (MB)"
	printf '|%s|%s|%s|%s|%s|%s|\n' "--------------------------------" "----------" "------------" "--------------" "-------------" "---------------"
}

for n in $PIPELINES; do
	for kind in baseline provider; do prepare "$kind" "$n"; measure "$kind" "$n" plan; done
	if [[ " $AWS_PIPELINES " == *" $n "* ]]; then prepare aws "$n"; measure aws "$n" plan; fi
done
if [ -n "${APPLY_PIPELINES// /}" ]; then
	n=$APPLY_PIPELINES
	for kind in baseline provider; do [ -d "$work/$kind-$n" ] || prepare "$kind" "$n"; measure "$kind" "$n" apply; done
fi

echo
echo "$STAGES stages × $ACTIONS actions per pipeline, each with its artifact store; medians of $RUNS runs"
echo "(CPU is user+system seconds of terraform and the plugins it started: less sensitive than wall time to"
echo " other load on the machine; prov CPU is the codepipeline provider's share, prov RSS its largest process)"
for n in $PIPELINES; do
	echo
	echo "terraform plan, $n pipelines ($((n * 2)) resources)"
	echo
	header
	row "baseline: terraform_data" "baseline-$n-plan"
	row "codepipeline pipeline + store" "provider-$n-plan"
	[ -n "${wall[aws-$n-plan]:-}" ] && row "aws_codepipeline + aws_s3_bucket" "aws-$n-plan"
	echo
	echo "ratio provider/baseline, CPU (terraform with its plugins):            $(ratio "${tfcpu[provider-$n-plan]}" "${tfcpu[baseline-$n-plan]}")×"
	echo "  (as first measured, the provider's CPU counted twice:                $(ratio "$(sum "${tfcpu[provider-$n-plan]}" "${provcpu[provider-$n-plan]}")" "${tfcpu[baseline-$n-plan]}")×)"
	echo "ratio provider/baseline, wall time:                                   $(ratio "${wall[provider-$n-plan]}" "${wall[baseline-$n-plan]}")×"
	echo "ratio provider/baseline, peak memory (provider process vs terraform): $(ratio "${provrss[provider-$n-plan]}" "${tfrss[baseline-$n-plan]}")×"
	echo "provider peak memory:                                                 $(mb "${provrss[provider-$n-plan]}") MB"
	if [ -n "${wall[aws-$n-plan]:-}" ]; then
		echo "ratio provider/aws_codepipeline, wall time:                          $(ratio "${wall[provider-$n-plan]}" "${wall[aws-$n-plan]}")×"
		echo "ratio provider/aws_codepipeline, CPU (terraform with its plugins):   $(ratio "${tfcpu[provider-$n-plan]}" "${tfcpu[aws-$n-plan]}")×"
	fi
done
if [ -n "${APPLY_PIPELINES// /}" ]; then
	n=$APPLY_PIPELINES
	echo
	echo "terraform apply, $n pipelines ($((n * 2)) resources)"
	echo
	header
	row "baseline: terraform_data" "baseline-$n-apply"
	row "codepipeline pipeline + store" "provider-$n-apply"
	echo
	echo "ratio provider/baseline, wall time:                                   $(ratio "${wall[provider-$n-apply]}" "${wall[baseline-$n-apply]}")×"
	echo "ratio provider/baseline, CPU (terraform with its plugins):            $(ratio "${tfcpu[provider-$n-apply]}" "${tfcpu[baseline-$n-apply]}")×"
fi
