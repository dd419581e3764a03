#!/bin/sh
# Starts a gostream application on YARN (cluster mode) that an operator stops
# gracefully with gostream-stop.sh.
#
# Usage: gostream-start.sh -m MARKER [gostream-submit options] APP [app args]
#   -m MARKER  the stop-marker file, on HDFS (hdfs://... or a path on
#              fs.defaultFS): created here, watched by the driver
#              (gostream.streaming.stopMarker); deleting it stops the
#              application gracefully. The application id is recorded in
#              MARKER.appid.
#   The rest goes to gostream-submit, after --master yarn --deploy-mode
#   cluster; the script does not wait for the application to end.
#
# It refuses to start a second copy while the application recorded in
# MARKER.appid runs, and two starts racing for the same marker: the loser
# exits 4 (MARKER.lock is held while a start runs).
#
# Needs HADOOP_CONF_DIR (or YARN_CONF_DIR); finds gostream's binaries in
# $GOSTREAM_BIN, bin/ next to scripts/, or $PATH.
#
# Exit status: 0 submitted (the application id on stdout); 1 the submission
# failed (nothing is left behind); 2 usage; 3 already running; 4 another
# start holds the lock.
set -eu
GS_PROG=gostream-start.sh
GS_HOME=$(cd "$(dirname "$0")/.." && pwd)
. "$GS_HOME/scripts/gostream-common.sh"


marker=
while [ $# -gt 0 ]; do
  case $1 in
    -m|--marker) [ $# -ge 2 ] || gs_usage; marker=$2; shift 2 ;;
    -h|--help) gs_usage ;;
    *) break ;;
  esac
done
[ -n "$marker" ] || { echo "$GS_PROG: -m MARKER is required" >&2; gs_usage; }
[ $# -gt 0 ] || { echo "$GS_PROG: no application given" >&2; gs_usage; }
gs_find_bin

# Only one start at a time: MARKER.lock is created exclusively.
if ! "$GS_TOOL" fs create "$marker.lock" "$(hostname) pid $$ $(date -u +%Y-%m-%dT%H:%M:%SZ)" 2>/dev/null; then
  if "$GS_TOOL" fs exists "$marker.lock"; then
    GS_STATUS=4 gs_die "another gostream-start.sh is starting this application ($marker.lock: $("$GS_TOOL" fs cat "$marker.lock")); if none runs, remove the lock: gostream fs rm $marker.lock"
  fi
  if ! "$GS_TOOL" fs create "$marker.lock" "$$"; then
    dir=$(dirname "$marker")
    if "$GS_TOOL" fs exists "$dir" 2>/dev/null; then :; else
      [ $? != 1 ] || gs_die "the marker's directory $dir does not exist: create it (hdfs dfs -mkdir -p $dir) or give a marker in an existing directory"
    fi
    gs_die "cannot create $marker.lock (see above): is the marker's directory writable?"
  fi
fi
trap '"$GS_TOOL" fs rm "$marker.lock" 2>/dev/null || true' EXIT

app=$(gs_recorded_app "$marker")
if [ -n "$app" ]; then
  state=$(gs_state "$app") || gs_die "cannot read the state of $app, recorded in $marker.appid (see above)"
  if gs_active "$state"; then
    GS_STATUS=3 gs_die "$app ($marker.appid) is $state: stop it first with gostream-stop.sh -m $marker"
  fi
fi

created_marker=0
if ! "$GS_TOOL" fs exists "$marker"; then
  "$GS_TOOL" fs touch "$marker" || gs_die "cannot create the stop marker $marker (see above)"
  created_marker=1
fi
if ! app=$("$GS_SUBMIT" --master yarn --deploy-mode cluster \
    --conf gostream.yarn.submit.waitAppCompletion=false \
    --conf "gostream.streaming.stopMarker=$marker" "$@"); then
  [ $created_marker = 0 ] || "$GS_TOOL" fs rm "$marker" 2>/dev/null || true
  gs_die "submission failed (see above); nothing was started"
fi
"$GS_TOOL" fs put "$marker.appid" "$app" || gs_log "warning: could not record $app in $marker.appid; gostream-stop.sh will not find it"
gs_log "started $app; stop it gracefully with: gostream-stop.sh -m $marker"
echo "$app"
