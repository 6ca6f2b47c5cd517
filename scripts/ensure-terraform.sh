#!/usr/bin/env bash
# Prints the path of a terraform this project supports (1.5 <= version < 2.0; the tests run on
# 1.11.4): $TERRAFORM when set, else the one on PATH, else one built here before
# (.tools/bin), else it builds v1.8.5 from source through the Go module proxy into .tools/bin,
# saying what it does and how long it may take. Only the path goes to stdout.
# CODEPIPELINE_NO_TERRAFORM_BUILD=1 makes it fail instead of building.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pinned=v1.8.5
supported_range="1.5 <= version < 2.0"
local_tf="$root/.tools/bin/terraform"

version_of() {
	"$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\)".*/\1/p' | head -1
}

# supported PATH: the binary's version is in the supported range.
supported() {
	local v major minor
	v=$(version_of "$1")
	[ -n "$v" ] || return 1
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	[ "$major" -eq 1 ] && [ "$minor" -ge 5 ]
}

if [ -n "${TERRAFORM:-}" ]; then
	if supported "$TERRAFORM"; then
		echo "$TERRAFORM"
		exit 0
	fi
	v=$(version_of "$TERRAFORM" || true)
	echo "TERRAFORM=$TERRAFORM is ${v:+terraform }${v:-not a terraform that answers \`version -json\`}; this project supports $supported_range." >&2
	exit 1
fi
on_path=$(command -v terraform 2>/dev/null || true)
if [ -n "$on_path" ] && supported "$on_path"; then
	echo "$on_path"
	exit 0
fi
if [ -x "$local_tf" ] && supported "$local_tf"; then
	echo "$local_tf"
	exit 0
fi

{
	if [ -n "$on_path" ]; then
		echo "terraform: $on_path is version $(version_of "$on_path" || true); this project supports $supported_range."
	else
		echo "terraform: none on PATH; this project supports $supported_range (its tests run on 1.11.4)."
	fi
	echo "Building terraform $pinned from source, through the Go module proxy, into .tools/bin (once: later runs reuse it)."
	echo "This downloads terraform's Go modules and compiles them: a few minutes on a fast machine, 10 or more on two cores."
	echo "To skip it, put a terraform of that range on PATH (or set TERRAFORM=/path/to/terraform) and run make again."
} >&2
if [ -n "${CODEPIPELINE_NO_TERRAFORM_BUILD:-}" ]; then
	echo "CODEPIPELINE_NO_TERRAFORM_BUILD is set: not building." >&2
	exit 1
fi
# go install -v names each package as it compiles it: a count of them every 100 shows progress.
GOBIN="$root/.tools/bin" CGO_ENABLED=0 go install -v "github.com/hashicorp/terraform@$pinned" 2>&1 |
	awk '/^go: downloading/ { d++; if (d % 25 == 0) printf "  %d modules downloaded\n", d; next }
	     /^go: / { print; next }
	     { c++; if (c % 100 == 0) printf "  %d packages compiled\n", c }
	     END { printf "  done: %d modules downloaded, %d packages compiled\n", d, c }' >&2
echo "$local_tf"
