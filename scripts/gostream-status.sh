#!/bin/sh
# Shows a gostream application on YARN: its state, attempt, tracking URL,
# executors and last completed batch with its delays, and its stop marker.
#
# Usage: gostream-status.sh -m MARKER | APP_ID
#
# Exit status: 0 running; 1 not running (ended) or an error; 2 usage; 3 no
# application recorded for MARKER.
set -eu
GS_PROG=gostream-status.sh
GS_HOME=$(cd "$(dirname "$0")/.." && pwd)
. "$GS_HOME/scripts/gostream-common.sh"


marker= app=
case ${1:-} in
  -m|--marker) [ $# -eq 2 ] || gs_usage; marker=$2 ;;
  ''|-h|--help) gs_usage ;;
  *) [ $# -eq 1 ] || gs_usage; app=$1 ;;
esac
gs_find_bin
if [ -n "$marker" ]; then
  app=$(gs_recorded_app "$marker")
  [ -n "$app" ] || GS_STATUS=3 gs_die "no application recorded in $marker.appid"
fi
"$GS_TOOL" app status "$app"
if [ -n "$marker" ]; then
  if "$GS_TOOL" fs exists "$marker"; then
    echo "marker:       $marker (present: delete it, or run gostream-stop.sh, to stop)"
  else
    echo "marker:       $marker (deleted: the application is stopping or stopped)"
  fi
fi
gs_active "$(gs_state "$app")"
