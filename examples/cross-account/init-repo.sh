#!/bin/sh
# Creates (or updates) the example's local git repository from app/: the source the pipeline's
# CodeCommit action reads on the local backend.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo="$1"
mkdir -p "$repo"
if [ ! -d "$repo/.git" ]; then
  git -C "$repo" init -q -b main
fi
cp -R "$here/app/." "$repo/"
git -C "$repo" add -A
if ! git -C "$repo" diff --cached --quiet; then
  git -C "$repo" -c user.name=example -c user.email=example@example.com commit -q -m "cross-account example app"
fi
git -C "$repo" rev-parse HEAD
