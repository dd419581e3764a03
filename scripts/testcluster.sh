#!/usr/bin/env bash
# Runs gostream's test cluster: a real Hadoop 3.4 HDFS + YARN on this host
# (NameNode, DataNode, ResourceManager, two NodeManagers), all on 127.0.0.1.
#
# Usage: scripts/testcluster.sh [--secure] COMMAND [DAEMON]
#   --secure  the kerberized cluster instead: its own KDC (MIT krb5kdc, realm
#             GOSTREAM.TEST on 127.0.0.1), keytabs, ports (the insecure ones
#             plus 1000), containers and state dir; it runs beside the
#             insecure cluster and never touches it (testcluster/README.md)
#   up        build the image when needed, start the daemons (only the missing
#             ones if a cluster is partly up), wait until HDFS has left safe
#             mode and both NodeManagers are RUNNING, then print the client
#             HADOOP_CONF_DIR on stdout
#   down      remove the daemons (containers or processes) and the state dir
#   status    tell which runner and daemons are up and whether the cluster is ready
#   env       print `export HADOOP_CONF_DIR=...` for clients (eval "$(... env)")
#   kill D    SIGKILL daemon D (nn dn1 rm nm1 nm2); a NodeManager takes its
#             YARN containers with it, like a lost node
#   start D   start daemon D again (same ports and directories)
#   logs D    print the last lines of daemon D's log
#
# Runners: "docker" (one container per daemon, host networking, from the image
# testcluster/build-image.sh builds) or, where no docker engine can run,
# "process" (the same daemons, jars and configs as host processes). The choice
# is automatic and reported; TESTCLUSTER_RUNNER=docker|process forces one.
# Environment: TESTCLUSTER_DIR state directory (default /tmp/gostream-testcluster),
#   TESTCLUSTER_TIMEOUT seconds `up` waits for readiness (default 240),
#   TESTCLUSTER_KEEP=1 makes `down` keep the state dir (logs, data).
#   With --secure: TESTCLUSTER_SECURE_DIR state directory (default
#   /tmp/gostream-testcluster-secure), TESTCLUSTER_RPC_PROTECTION the daemons'
#   hadoop.rpc.protection (default privacy,integrity,authentication: every QOP
#   accepted, each client chooses), TESTCLUSTER_DATA_PROTECTION the
#   DataNode's dfs.data.transfer.protection (default authentication).
# Exit status: 0 success (status: cluster ready); 1 failure (status: partly up
#   or not ready); 2 usage error; 3 no cluster (status, env, kill, start, logs).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
SECURE=0
if [ "${1:-}" = --secure ]; then SECURE=1; shift; fi
if [ $SECURE = 1 ]; then
  STATE=${TESTCLUSTER_SECURE_DIR:-/tmp/gostream-testcluster-secure}
  PREFIX=gostream-tcs-
  LABEL=org.gostream.testcluster-secure
  OFFSET=1000
else
  STATE=${TESTCLUSTER_DIR:-/tmp/gostream-testcluster}
  PREFIX=gostream-tc-
  LABEL=org.gostream.testcluster
  OFFSET=0
fi
LOCK=$STATE.lock
DAEMONS="nn dn1 rm nm1 nm2"
TIMEOUT=${TESTCLUSTER_TIMEOUT:-240}

# Ports: all on 127.0.0.1, in 18000-18199 (below Linux's ephemeral range);
# the secure cluster's are these plus 1000.
NN_RPC_PORT=18020 NN_HTTP_PORT=18870 SNN_HTTP_PORT=18868
DN1_XFER_PORT=18866 DN1_HTTP_PORT=18864 DN1_IPC_PORT=18867
RM_PORT=18032 RM_SCHEDULER_PORT=18030 RM_TRACKER_PORT=18031 RM_ADMIN_PORT=18033 RM_WEB_PORT=18088
NM1_RPC_PORT=18041 NM1_LOCALIZER_PORT=18040 NM1_WEB_PORT=18042
NM2_RPC_PORT=18141 NM2_LOCALIZER_PORT=18140 NM2_WEB_PORT=18142
KDC_PORT=18750
for v in NN_RPC_PORT NN_HTTP_PORT SNN_HTTP_PORT DN1_XFER_PORT DN1_HTTP_PORT DN1_IPC_PORT RM_PORT RM_SCHEDULER_PORT \
  RM_TRACKER_PORT RM_ADMIN_PORT RM_WEB_PORT NM1_RPC_PORT NM1_LOCALIZER_PORT NM1_WEB_PORT NM2_RPC_PORT \
  NM2_LOCALIZER_PORT NM2_WEB_PORT KDC_PORT; do
  eval "$v=\$(($v + OFFSET))"
done
# shellcheck source=testcluster/kerberos.sh
. "$repo/testcluster/kerberos.sh"

log() { echo "testcluster: $*" >&2; }
die() { echo "testcluster: ERROR: $*" >&2; exit 1; }
usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

role_of() { case $1 in nn) echo namenode ;; dn*) echo datanode ;; rm) echo resourcemanager ;; nm*) echo nodemanager ;; esac; }
heap_of() { case $1 in nn) echo 384m ;; rm) echo 512m ;; *) echo 256m ;; esac; }
valid_daemon() { case " $DAEMONS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- configuration ----------------------------------------------------------
# render DIR DAEMON NM DN: the site files of one daemon (or "client").
render() {
  local dir=$1 d=$2 nm=$3 dn=$4 f up_nm up_dn
  up_nm=$(echo "$nm" | tr a-z A-Z) up_dn=$(echo "$dn" | tr a-z A-Z)
  local nm_rpc nm_loc nm_web dn_x dn_h dn_i
  eval "nm_rpc=\$${up_nm}_RPC_PORT nm_loc=\$${up_nm}_LOCALIZER_PORT nm_web=\$${up_nm}_WEB_PORT"
  eval "dn_x=\$${up_dn}_XFER_PORT dn_h=\$${up_dn}_HTTP_PORT dn_i=\$${up_dn}_IPC_PORT"
  mkdir -p "$dir"
  for f in "$repo"/testcluster/image/conf/*; do
    sed -e "s|@STATE_DIR@|$STATE|g; s|@DAEMON@|$d|g; s|@NM_NAME@|$nm|g; s|@DN_NAME@|$dn|g" \
      -e "s|@NN_RPC_PORT@|$NN_RPC_PORT|g; s|@NN_HTTP_PORT@|$NN_HTTP_PORT|g; s|@SNN_HTTP_PORT@|$SNN_HTTP_PORT|g" \
      -e "s|@DN_XFER_PORT@|$dn_x|g; s|@DN_HTTP_PORT@|$dn_h|g; s|@DN_IPC_PORT@|$dn_i|g" \
      -e "s|@RM_PORT@|$RM_PORT|g; s|@RM_SCHEDULER_PORT@|$RM_SCHEDULER_PORT|g; s|@RM_TRACKER_PORT@|$RM_TRACKER_PORT|g" \
      -e "s|@RM_ADMIN_PORT@|$RM_ADMIN_PORT|g; s|@RM_WEB_PORT@|$RM_WEB_PORT|g" \
      -e "s|@NM_RPC_PORT@|$nm_rpc|g; s|@NM_LOCALIZER_PORT@|$nm_loc|g; s|@NM_WEB_PORT@|$nm_web|g" \
      "$f" >"$dir/$(basename "$f")"
  done
  [ $SECURE = 0 ] || secure_render "$dir" "$d"
  if [ "$d" != client ]; then
    printf 'DAEMON=%s\nROLE=%s\nHEAP=%s\nLOG_DIR=%s\n' "$d" "$(role_of "$d")" "$(heap_of "$d")" "$STATE/logs" >"$dir/daemon.env"
    [ $SECURE = 0 ] || secure_daemon_env >>"$dir/daemon.env"
  else
    rm -f "$dir/log4j.properties" "$dir/capacity-scheduler.xml"
  fi
}

render_all() {
  local d
  for d in $DAEMONS; do
    case $d in nm*) render "$STATE/conf/$d" "$d" "$d" dn1 ;; dn*) render "$STATE/conf/$d" "$d" nm1 "$d" ;; *) render "$STATE/conf/$d" "$d" nm1 dn1 ;; esac
  done
  render "$STATE/conf/client" client nm1 dn1
  cat >"$STATE/cluster.env" <<EOF
RUNNER=$RUNNER
IMAGE=${IMAGE:-}
HADOOP_HOME=$HADOOP_HOME_DIR
STATE_DIR=$STATE
HADOOP_CONF_DIR=$STATE/conf/client
DAEMONS=$DAEMONS
CONTAINER_PREFIX=$PREFIX
NAMENODE=127.0.0.1:$NN_RPC_PORT
NAMENODE_HTTP=127.0.0.1:$NN_HTTP_PORT
DATANODE_dn1=127.0.0.1:$DN1_XFER_PORT
RESOURCEMANAGER=127.0.0.1:$RM_PORT
RESOURCEMANAGER_SCHEDULER=127.0.0.1:$RM_SCHEDULER_PORT
RESOURCEMANAGER_WEB=127.0.0.1:$RM_WEB_PORT
NODEMANAGER_nm1=localhost:$NM1_RPC_PORT
NODEMANAGER_nm2=localhost:$NM2_RPC_PORT
NODEMANAGER_WEB_nm1=127.0.0.1:$NM1_WEB_PORT
NODEMANAGER_WEB_nm2=127.0.0.1:$NM2_WEB_PORT
EOF
  [ $SECURE = 0 ] || secure_cluster_env >>"$STATE/cluster.env"
}

# ---- runners ----------------------------------------------------------------
have_docker() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

pid_of() { cat "$STATE/pids/$1" 2>/dev/null || true; }

# alive PID: the process exists and is not a zombie (a killed daemon stays one
# until init reaps it).
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

running() { # DAEMON
  case $RUNNER in
    docker) [ "$(docker inspect -f '{{.State.Running}}' "$PREFIX$1" 2>/dev/null || true)" = true ] ;;
    process) local p; p=$(pid_of "$1"); [ -n "$p" ] && alive "$p" ;;
  esac
}

start_daemon() { # DAEMON
  local d=$1
  mkdir -p "$STATE/logs" "$STATE/pids"
  case $d in nm*) mkdir -p "$STATE/$d/local" "$STATE/$d/logs" ;; esac
  case $RUNNER in
    docker)
      if docker inspect "$PREFIX$d" >/dev/null 2>&1; then
        docker start "$PREFIX$d" >/dev/null
      else
        docker run -d --name "$PREFIX$d" --label "$LABEL=$d" --network host --init \
          -v "$STATE:$STATE" "$IMAGE" /opt/hadoop/bin/daemon.sh "$STATE/conf/$d" >/dev/null
      fi ;;
    process)
      # setsid: the daemon leads its own process group, which `kill` ends.
      # 9>&-: the daemon must not inherit the lock's fd (it would hold the
      # lock for its whole life and block every later up/start/kill).
      HADOOP_HOME=$HADOOP_HOME_DIR setsid "$repo/testcluster/image/daemon.sh" "$STATE/conf/$d" \
        >>"$STATE/logs/$d.out" 2>&1 </dev/null 9>&- &
      echo $! >"$STATE/pids/$d" ;;
  esac
}

# procs_under DIR: pids of host processes whose working directory is below DIR
# (the YARN containers of a NodeManager run in its local dirs).
procs_under() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null || true)
    case $cwd in "$1"/*) echo "${p#/proc/}" ;; esac
  done
}

kill_daemon() { # DAEMON
  local d=$1 p
  case $RUNNER in
    docker) docker kill "$PREFIX$d" >/dev/null 2>&1 || true ;;
    process)
      p=$(pid_of "$d")
      [ -n "$p" ] && kill -9 -- "-$p" 2>/dev/null || true
      case $d in nm*) procs_under "$STATE/$d/local" | xargs -r kill -9 2>/dev/null || true ;; esac ;;
  esac
}

remove_all() {
  local d ids
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ids=$(docker ps -aq --filter "label=$LABEL")
    [ -n "$ids" ] && docker rm -f $ids >/dev/null
  fi
  if [ -d "$STATE/pids" ]; then
    for d in $DAEMONS; do
      p=$(pid_of "$d")
      [ -n "$p" ] && kill -9 -- "-$p" 2>/dev/null || true
    done
    for d in nm1 nm2; do procs_under "$STATE/$d/local" | xargs -r kill -9 2>/dev/null || true; done
  fi
  [ $SECURE = 0 ] || kdc_stop
}

load_state() { # sets RUNNER, IMAGE, HADOOP_HOME_DIR from a previous up; 1 if none
  [ -f "$STATE/cluster.env" ] || return 1
  RUNNER=$(sed -n 's/^RUNNER=//p' "$STATE/cluster.env")
  IMAGE=$(sed -n 's/^IMAGE=//p' "$STATE/cluster.env")
  HADOOP_HOME_DIR=$(sed -n 's/^HADOOP_HOME=//p' "$STATE/cluster.env")
  [ -n "$RUNNER" ]
}

# ---- readiness ----------------------------------------------------------------
http() { curl -fsS -m 5 "$@" 2>/dev/null; }
hdfs_ready() {
  http "http://127.0.0.1:$NN_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState" |
    tr -d ' \n' | grep -q '"FSState":"Operational".*"NumLiveDataNodes":[1-9]'
}
running_nms() {
  http "http://127.0.0.1:$RM_WEB_PORT/ws/v1/cluster/nodes?states=RUNNING" | grep -o '"state":"RUNNING"' | wc -l
}
yarn_ready() { [ "$(running_nms)" -ge 2 ]; }
ready() { hdfs_ready && yarn_ready; }

webhdfs() { # METHOD PATH QUERY
  curl -fsS -m 10 -X "$1" "http://127.0.0.1:$NN_HTTP_PORT/webhdfs/v1$2?user.name=root&$3" >/dev/null
}
prepare_hdfs() {
  [ $SECURE = 0 ] || { secure_prepare_hdfs; return; }
  webhdfs PUT /tmp "op=MKDIRS&permission=1777" && webhdfs PUT /tmp "op=SETPERMISSION&permission=1777" &&
    webhdfs PUT /tmp/logs "op=MKDIRS&permission=1777" && webhdfs PUT /tmp/logs "op=SETPERMISSION&permission=1777" &&
    webhdfs PUT /user "op=MKDIRS&permission=755" && webhdfs PUT /user/root "op=MKDIRS&permission=755"
}

wait_ready() {
  local start=$SECONDS d
  while :; do
    if ready; then return 0; fi
    for d in $DAEMONS; do
      if ! running "$d"; then
        log "daemon $d exited during startup; its log:"
        tail_log "$d" >&2
        return 1
      fi
    done
    if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
      log "not ready after ${TIMEOUT}s (HDFS ready: $(hdfs_ready && echo yes || echo no), RUNNING NodeManagers: $(running_nms))"
      for d in $DAEMONS; do log "--- $d"; tail_log "$d" >&2; done
      return 1
    fi
    sleep 1
  done
}

tail_log() {
  tail -n 25 "$STATE/logs/$1.log" 2>/dev/null || true
  if [ "$RUNNER" = docker ]; then docker logs --tail 10 "$PREFIX$1" 2>&1 || true; else tail -n 10 "$STATE/logs/$1.out" 2>/dev/null || true; fi
}

choose_runner() {
  local out rc=0
  RUNNER=${TESTCLUSTER_RUNNER:-}
  case $RUNNER in
    ""|docker)
      # 9>&-: a dockerd it starts must not inherit (and so hold) the lock.
      out=$("$repo/testcluster/build-image.sh" --print 9>&-) || rc=$?
      if [ $rc = 0 ]; then
        RUNNER=docker
      elif [ $rc = 4 ] && [ -z "$RUNNER" ]; then
        RUNNER=process
        log "*****************************************************************"
        log "*** no docker engine can run on this host: using the PROCESS   ***"
        log "*** fallback runner (Hadoop daemons as host java processes)    ***"
        log "*****************************************************************"
      else
        die "building the test cluster image failed (exit $rc)"
      fi ;;
    process)
      out=$("$repo/testcluster/build-image.sh" --jars-only --print 9>&-) || die "fetching Hadoop's jars failed" ;;
    *) die "TESTCLUSTER_RUNNER=$RUNNER: want docker or process" ;;
  esac
  HADOOP_HOME_DIR=$(echo "$out" | sed -n 's/^HADOOP_HOME=//p')
  IMAGE=$(echo "$out" | sed -n 's/^IMAGE=//p')
  if [ "$RUNNER" = process ]; then
    command -v java >/dev/null 2>&1 || die "the process runner needs java (openjdk-17) on PATH"
  fi
}

# ---- commands ---------------------------------------------------------------
cmd_up() {
  local d missing="" any=0
  if load_state; then
    [ "$RUNNER" = docker ] && ! have_docker && RUNNER=none
    if [ "$RUNNER" != none ]; then
      for d in $DAEMONS; do if running "$d"; then any=1; else missing="$missing $d"; fi; done
    fi
  fi
  if [ $any = 1 ] && [ -z "$missing" ] && ready; then
    log "already up and ready ($RUNNER runner)"
    echo "$STATE/conf/client"
    return 0
  fi
  local t0=$SECONDS
  if [ $any = 1 ]; then
    log "partly up ($RUNNER runner): starting$missing"
  else
    remove_all
    rm -rf "$STATE"
    mkdir -p "$STATE"
    choose_runner
    [ $SECURE = 0 ] || kdc_setup
    render_all
    missing=" $DAEMONS"
    log "starting$missing with the $RUNNER runner${IMAGE:+ (image $IMAGE)}; state in $STATE"
  fi
  [ $SECURE = 0 ] || kdc_running || kdc_start
  for d in $missing; do start_daemon "$d"; done
  wait_ready || die "the test cluster did not become ready (logs in $STATE/logs); run: $0 down"
  prepare_hdfs || die "could not create /tmp, /tmp/logs and /user in HDFS"
  log "ready in $((SECONDS - t0))s ($RUNNER runner${REALM:+, Kerberos realm $REALM, KDC 127.0.0.1:$KDC_PORT}): HDFS hdfs://127.0.0.1:$NN_RPC_PORT, YARN RM 127.0.0.1:$RM_PORT, web http://127.0.0.1:$RM_WEB_PORT"
  echo "$STATE/conf/client"
}

cmd_down() {
  remove_all
  if [ "${TESTCLUSTER_KEEP:-0}" = 1 ]; then
    log "removed the daemons; kept $STATE"
  else
    rm -rf "$STATE"
    log "removed the daemons and $STATE"
  fi
}

cmd_status() {
  load_state || { echo "no test cluster (no $STATE/cluster.env)"; return 3; }
  local d n=0 up=0
  echo "runner: $RUNNER${IMAGE:+ (image $IMAGE)}"
  echo "state:  $STATE"
  [ "$RUNNER" = docker ] && ! have_docker && { echo "docker engine not reachable"; return 3; }
  for d in $DAEMONS; do
    n=$((n + 1))
    if running "$d"; then up=$((up + 1)); echo "  $d ($(role_of "$d")): running"; else echo "  $d ($(role_of "$d")): DOWN"; fi
  done
  echo "HDFS: $(hdfs_ready && echo 'ready (out of safe mode, DataNode live)' || echo 'NOT ready')"
  echo "YARN: $(running_nms) NodeManager(s) RUNNING"
  [ $SECURE = 0 ] || echo "KDC:  $(kdc_running && echo "running on 127.0.0.1:$KDC_PORT" || echo DOWN)"
  [ $up = 0 ] && return 3
  [ $SECURE = 0 ] || kdc_running || return 1
  ready && [ $up = $n ] && return 0
  return 1
}

cmd_env() {
  [ -f "$STATE/conf/client/core-site.xml" ] || { log "no test cluster; run: $0 up"; return 3; }
  echo "export HADOOP_CONF_DIR=$STATE/conf/client"
  [ $SECURE = 0 ] || echo "export KRB5_CONFIG=$STATE/krb5.conf"
}

need_cluster() { load_state || { log "no test cluster; run: $0 up"; exit 3; }; }

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
  up|down|kill|start)
    [ $# -le 1 ] || usage
    exec 9>"$LOCK"
    flock -w 900 9 || die "another testcluster.sh holds $LOCK"
    case $cmd in
      up) [ $# = 0 ] || usage; cmd_up ;;
      down) [ $# = 0 ] || usage; cmd_down ;;
      kill) [ $# = 1 ] && valid_daemon "$1" || usage; need_cluster; kill_daemon "$1"; log "killed $1" ;;
      start) [ $# = 1 ] && valid_daemon "$1" || usage; need_cluster
        if running "$1"; then log "$1 is already running"; else start_daemon "$1"; log "started $1"; fi ;;
    esac ;;
  status) [ $# = 0 ] || usage; cmd_status ;;
  env) [ $# = 0 ] || usage; cmd_env ;;
  logs) [ $# = 1 ] && valid_daemon "$1" || usage; need_cluster; tail_log "$1" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
