#!/bin/sh
# Stops a gostream application started by gostream-start.sh, gracefully: it
# deletes the stop marker, and the driver stops its receivers, processes
# everything received, finishes its batches, writes a final checkpoint and
# unregisters SUCCEEDED. A stop that gives up (no batch completed for
# gostream.streaming.gracefulStopTimeout) ends FAILED: this script then
# prints YARN's diagnostics (the batches and records left, and whether the
# write-ahead log keeps them for the next start) and exits 1.
#
# Usage: gostream-stop.sh -m MARKER [-t TIMEOUT] [--force]
#   -m MARKER   the marker given to gostream-start.sh
#   -t TIMEOUT  how long to wait for the application to end (seconds, or a
#               Go duration such as 5m); default: as long as the driver
#               completes batches, and three batches plus the graceful-stop
#               timeout plus a minute without one, from the driver
#   --force     when the wait times out, kill the application (yarn kill)
#
# Exit status: 0 stopped, final status SUCCEEDED; 1 it ended otherwise, or an
# error; 2 usage; 3 not running (or no application recorded); 4 timed out
# (still running; rerun with --force to kill it); 5 timed out and killed.
set -eu
GS_PROG=gostream-stop.sh
GS_HOME=$(cd "$(dirname "$0")/.." && pwd)
. "$GS_HOME/scripts/gostream-common.sh"


marker= timeout= force=0
while [ $# -gt 0 ]; do
  case $1 in
    -m|--marker) [ $# -ge 2 ] || gs_usage; marker=$2; shift 2 ;;
    -t|--timeout) [ $# -ge 2 ] || gs_usage; timeout=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) gs_usage ;;
    *) echo "$GS_PROG: unknown argument $1" >&2; gs_usage ;;
  esac
done
[ -n "$marker" ] || { echo "$GS_PROG: -m MARKER is required" >&2; gs_usage; }
case $timeout in ''|*[!0-9]*) ;; *) timeout=${timeout}s ;; esac
gs_find_bin

app=$(gs_recorded_app "$marker")
[ -n "$app" ] || GS_STATUS=3 gs_die "no application recorded in $marker.appid: was it started with gostream-start.sh -m $marker?"
state=$(gs_state "$app") || gs_die "cannot read the state of $app (see above)"
gs_active "$state" || GS_STATUS=3 gs_die "$app is not running (state $state): nothing to stop"

if "$GS_TOOL" fs exists "$marker"; then
  "$GS_TOOL" fs rm "$marker" || gs_die "cannot delete the stop marker $marker (see above)"
  gs_log "deleted $marker: $app stops gracefully"
else
  gs_log "$marker is already deleted: $app is stopping; waiting"
fi

set +e
"$GS_TOOL" app wait ${timeout:+-timeout "$timeout"} "$app"
st=$?
set -e
case $st in
  0) gs_log "$app stopped gracefully (SUCCEEDED)"; exit 0 ;;
  1)
    report=$("$GS_TOOL" app status "$app") || report=
    final=$(printf '%s\n' "$report" | sed -n 's/^final status: *//p')
    diag=$(printf '%s\n' "$report" | sed -n 's/^diagnostics: *//p')
    gs_die "$app did not stop cleanly (final status ${final:-unknown}): ${diag:-see above}" ;;
  124)
    if [ $force = 1 ]; then
      "$GS_TOOL" app kill "$app" || gs_die "the kill failed (see above)"
      GS_STATUS=5 gs_die "$app did not stop in time and was killed: its last batches may be re-run by the next start"
    fi
    GS_STATUS=4 gs_die "$app is still running: it may need more time (gostream-status.sh -m $marker), or rerun with --force to kill it" ;;
  *) gs_die "waiting for $app failed (see above)" ;;
esac
