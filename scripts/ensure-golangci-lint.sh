#!/usr/bin/env bash
# Prints the path of golangci-lint at the pinned version ($1): one already on PATH or in
# GOPATH/bin when its version matches, else one built into GOPATH/bin from the Go module proxy.
# Building it takes minutes on a small machine, so it lives outside the clone and is reused.
set -euo pipefail
want=${1:?usage: ensure-golangci-lint.sh vX.Y.Z}
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"

version_of() { "$1" version 2>/dev/null | sed -n 's/.*version \(v\{0,1\}[0-9][0-9.]*\).*/\1/p' | head -1; }
matches() { local v; v=$(version_of "$1"); [ "v${v#v}" = "$want" ]; }

for candidate in "$(command -v golangci-lint 2>/dev/null || true)" "$gobin/golangci-lint"; do
	if [ -n "$candidate" ] && [ -x "$candidate" ] && matches "$candidate"; then
		echo "$candidate"; exit 0
	fi
done
echo "building golangci-lint $want into $gobin (a few minutes, once per machine)" >&2
GOBIN="$gobin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$want" >&2
matches "$gobin/golangci-lint" || { echo "golangci-lint in $gobin is not $want" >&2; exit 1; }
echo "$gobin/golangci-lint"
