#!/usr/bin/env bash
# Webhook requests per second on loopback with HMAC verification, from a second process:
# `codepipeline serve` in one process, the bounded load (scripts/webhookload) in another.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go build -o bin/codepipeline ./cmd/codepipeline
go run ./scripts/webhookload -codepipeline bin/codepipeline "$@"
