#!/usr/bin/env bash
# Runs gostream's tests: go vet, staticcheck and the unit tests (among them
# internal/layering, the package layering check), then the integration tests
# against a real Hadoop cluster (testcluster). Usage: scripts/test.sh [-short]
#   -short   no integration tests
#
# vet and staticcheck also check the integration tests' files (-tags
# integration). staticcheck is pinned: when GOBIN (else GOPATH/bin) does not
# hold that version, `go install` puts it there, which needs the Go proxy.
#
# Integration part: `scripts/testcluster.sh up` brings up the test cluster
# (on first use it installs docker.io, debootstrap and Maven as needed and
# builds the image, a few minutes; where no docker engine can run it falls back
# to host processes), `scripts/testcluster.sh --secure up` the kerberized one
# beside it (installing MIT Kerberos's KDC when missing), then
# `go test -tags integration -p 1 -count=1 ./...`.
# Packages run one at a time (-p 1): they share the cluster, and fault-injection
# tests kill its daemons. Afterwards the cluster is left up for the next run
# (it is reused in seconds; `scripts/testcluster.sh down` removes it), except
# under CI=true, where it is removed. If no cluster can be started, CI=true
# fails; elsewhere the integration tests are skipped with a loud notice.
#
# Exit status: 0 when every test passed, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

short=0
for a in "$@"; do
  case $a in
    -short|--short) short=1 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $a (try -h)" >&2; exit 2 ;;
  esac
done

echo "== go vet"
go vet ./...
go vet -tags integration ./...
echo "== staticcheck"
staticcheck_version=v0.8.2
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin=$(go env GOPATH | cut -d: -f1)/bin
staticcheck=$gobin/staticcheck
if ! go version -m "$staticcheck" 2>/dev/null | grep -Eq "^\s+mod\s+honnef.co/go/tools\s+$staticcheck_version\s"; then
  echo "installing staticcheck $staticcheck_version into $gobin"
  if ! go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"; then
    echo "test.sh: FAILED: could not install staticcheck $staticcheck_version (go install honnef.co/go/tools/cmd/staticcheck@$staticcheck_version, see above); install it into $gobin by hand" >&2
    exit 1
  fi
fi
"$staticcheck" ./...
"$staticcheck" -tags integration ./...
echo "== unit tests"
go test -count=1 ./...
[ $short = 1 ] && exit 0

echo "== test cluster"
start=$SECONDS
if ! scripts/testcluster.sh up; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: FAILED: the Hadoop test cluster could not be started (see above); integration tests need it" >&2
    scripts/testcluster.sh down || true
    exit 1
  fi
  cat >&2 <<'EOF'

******************************************************************
*** INTEGRATION TESTS SKIPPED: no Hadoop test cluster could be  ***
*** started here (see the messages above). Unit tests passed.   ***
*** CI=true makes this a failure.                               ***
******************************************************************

EOF
  exit 0
fi
echo "test cluster ready after $((SECONDS - start))s"
[ "${CI:-}" = true ] && trap 'scripts/testcluster.sh down || true; scripts/testcluster.sh --secure down || true' EXIT
start=$SECONDS
if ! scripts/testcluster.sh --secure up; then
  echo "test.sh: FAILED: the secure (Kerberos) test cluster could not be started (see above)" >&2
  exit 1
fi
echo "secure test cluster ready after $((SECONDS - start))s"

echo "== integration tests"
if ! go test -tags integration -p 1 -count=1 -timeout 40m ./...; then
  echo "== integration tests failed; test cluster status:" >&2
  scripts/testcluster.sh status >&2 || true
  exit 1
fi
