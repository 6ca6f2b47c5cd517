#!/usr/bin/env bash
# Copy the botocore service models that internal/awsapi/shapes embeds from the botocore of the
# AWS CLI v1 on PATH (or the python3 given as $PYTHON), and record its version.
# Usage: scripts/refresh-botocore-models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
data=$("$py" -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))')
version=$("$py" -c 'import botocore; print(botocore.__version__)')
dest=internal/awsapi/shapes/models
for service in codepipeline codestar-connections iam kms s3 secretsmanager ssm sts; do
	api=$(ls "$data/$service" | sort | tail -n 1)
	src="$data/$service/$api"
	rm -rf "${dest:?}/$service"
	mkdir -p "$dest/$service/$api"
	if [ -f "$src/service-2.json.gz" ]; then
		cp "$src/service-2.json.gz" "$dest/$service/$api/"
	else
		gzip -9 -n -c "$src/service-2.json" > "$dest/$service/$api/service-2.json.gz"
	fi
done
sed -i "s/^botocore version: .*/botocore version: $version/" "$dest/README.md"
echo "models from botocore $version; now run: go generate ./internal/awsapi/... && go test ./internal/awsapi/..."
