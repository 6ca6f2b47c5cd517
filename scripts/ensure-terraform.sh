#!/usr/bin/env bash
# Prints the path of a terraform binary >= 1.5: the one on PATH when it is recent enough, else
# one built from the Go module proxy into .tools/bin (no download site is needed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pinned=v1.8.5
local_tf="$root/.tools/bin/terraform"

recent_enough() {
	local v
	v=$("$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p' | head -1)
	[ -n "$v" ] || return 1
	local major minor
	major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
	[ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 5 ]; }
}

if [ -x "$local_tf" ] && recent_enough "$local_tf"; then
	echo "$local_tf"; exit 0
fi
if on_path=$(command -v terraform 2>/dev/null) && recent_enough "$on_path"; then
	echo "$on_path"; exit 0
fi
echo "building terraform $pinned from the Go module proxy into .tools/bin (a few minutes, once)" >&2
GOBIN="$root/.tools/bin" CGO_ENABLED=0 go install "github.com/hashicorp/terraform@$pinned" >&2
echo "$local_tf"
