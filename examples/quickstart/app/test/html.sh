#!/bin/sh
# The page is well-formed enough: it opens and closes its html element.
set -eu
grep -q '<html>' index.html
grep -q '</html>' index.html
echo "html: ok"
