#!/bin/sh
# The build stamped the commit it was built from.
set -eu
if grep -q '@COMMIT@' index.html; then
  echo "content: the commit placeholder was not replaced" >&2
  exit 1
fi
echo "content: ok"
