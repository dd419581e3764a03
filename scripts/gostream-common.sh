# Shared by gostream-start.sh, gostream-stop.sh and gostream-status.sh:
# finds gostream's binaries and reads an application's state. Sourced, not run.
#
# Binaries: $GOSTREAM_BIN (a directory holding gostream and gostream-submit),
# else the bin/ directory next to scripts/ when it holds them, else $PATH.
# Build them with: go build -o bin/ ./cmd/gostream ./cmd/gostream-submit

gs_die() { echo "$GS_PROG: $*" >&2; exit "${GS_STATUS:-1}"; }
gs_log() { echo "$GS_PROG: $*" >&2; }

gs_find_bin() {
  if [ -n "${GOSTREAM_BIN:-}" ]; then
    GS_TOOL=$GOSTREAM_BIN/gostream GS_SUBMIT=$GOSTREAM_BIN/gostream-submit
  elif [ -x "$GS_HOME/bin/gostream" ] && [ -x "$GS_HOME/bin/gostream-submit" ]; then
    GS_TOOL=$GS_HOME/bin/gostream GS_SUBMIT=$GS_HOME/bin/gostream-submit
  else
    GS_TOOL=$(command -v gostream || true) GS_SUBMIT=$(command -v gostream-submit || true)
  fi
  if [ ! -x "${GS_TOOL:-/nonexistent}" ] || [ ! -x "${GS_SUBMIT:-/nonexistent}" ]; then
    GS_STATUS=2 gs_die "gostream and gostream-submit not found: set GOSTREAM_BIN to their directory, or build them with: go build -o $GS_HOME/bin/ ./cmd/gostream ./cmd/gostream-submit"
  fi
}

# gs_state APP_ID: prints the application's YARN state (RUNNING, FINISHED, ...).
gs_state() {
  gs_report=$("$GS_TOOL" app status "$1") || return 1
  printf '%s\n' "$gs_report" | sed -n 's/^state: *//p'
}

# gs_active STATE: true while an application in STATE may still run.
gs_active() {
  case $1 in NEW|NEW_SAVING|SUBMITTED|ACCEPTED|RUNNING) return 0 ;; esac
  return 1
}

# gs_recorded_app MARKER: prints the application id recorded next to the
# marker (MARKER.appid), or nothing.
gs_recorded_app() {
  if "$GS_TOOL" fs exists "$1.appid"; then
    "$GS_TOOL" fs cat "$1.appid"
  fi
}

# gs_usage: prints the calling script's header comment and exits 2.
gs_usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}
