#!/usr/bin/env bash
# Builds what the gostream test cluster runs, offline, from Debian's packages
# and Maven Central only:
#
#   1. Hadoop's jars (testcluster/image/pom.xml, fetched with Maven) into a
#      host directory, HADOOP_HOME for the fallback runner and the source of
#      the image's /opt/hadoop;
#   2. unless --jars-only: a docker image, made of a base layer (a Debian
#      bookworm rootfs built by `debootstrap --variant=minbase` with
#      openjdk-17-jre-headless, imported with `docker import`) and a layer
#      with /opt/hadoop (jars, webapps, daemon.sh, config templates).
#
# Each is tagged or named with a hash of its inputs, so it is rebuilt only when
# they change. Missing tools (docker.io, debootstrap, maven) are installed with
# apt-get (waiting while another package manager holds dpkg's lock), and
# dockerd is started in the background when none is running.
#
# Usage: testcluster/build-image.sh [--jars-only] [--print] [-h]
#   --jars-only  fetch the jars only (what the fallback runner needs)
#   --print      print KEY=VALUE lines (HADOOP_HOME=..., IMAGE=...) on stdout
# Environment:
#   TESTCLUSTER_CACHE     where the jars go (default ~/.cache/gostream-testcluster)
#   TESTCLUSTER_M2_REPO   Maven's local repository (default ~/.m2/repository)
#   TESTCLUSTER_MIRROR    Debian mirror for debootstrap (default: the one apt uses)
#   DOCKERD_LOG           dockerd's log file (default /var/log/gostream-dockerd.log)
#   APT_LOCK_WAIT         seconds apt-get waits for another package manager's lock (default 900)
# Exit status: 0 built or already there; 1 a step failed; 2 usage error;
#   4 no docker engine can run here (the jars, if asked for, are in place).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
jars_only=0
print=0
for a in "$@"; do
  case $a in
    --jars-only) jars_only=1 ;;
    --print) print=1 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $a (try -h)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
die() { echo "build-image: ERROR: $*" >&2; exit 1; }

HADOOP_VERSION=3.4.2
BASE_PACKAGES=openjdk-17-jre-headless,bash,procps,coreutils,util-linux,netbase,hostname
BASE_SUITE=bookworm
cache=${TESTCLUSTER_CACHE:-$HOME/.cache/gostream-testcluster}
m2=${TESTCLUSTER_M2_REPO:-$HOME/.m2/repository}

hash_of() { cat "$@" | sha256sum | cut -c1-12; }
# The jars depend on the pom alone; the image on everything under image/ and this script.
jars_hash=$(hash_of "$here/image/pom.xml")
image_inputs=("$here/build-image.sh" "$here/image/pom.xml" "$here/image/daemon.sh")
for f in "$here"/image/conf/*; do image_inputs+=("$f"); done
image_hash=$(hash_of "${image_inputs[@]}")
base_hash=$(printf '%s\n' "$BASE_SUITE" "$BASE_PACKAGES" minbase v1 | sha256sum | cut -c1-12)
BASE_IMAGE=gostream-testcluster/debian-jre:$base_hash
IMAGE=gostream-testcluster/hadoop-$HADOOP_VERSION:$image_hash
HADOOP_HOME_DIR=$cache/hadoop-$HADOOP_VERSION-$jars_hash

have() { command -v "$1" >/dev/null 2>&1; }

# apt_get runs apt-get, waiting up to APT_LOCK_WAIT seconds (default 900)
# while another apt-get or dpkg holds the package locks instead of failing at
# once: a fresh machine may still be installing packages when the tests
# start, and giving up would fall back to the process runner for no reason.
apt_get() {
  local wait=${APT_LOCK_WAIT:-900} out
  local deadline=$((SECONDS + wait))
  while :; do
    if out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$wait" "$@" 2>&1); then
      [ -z "$out" ] || printf '%s\n' "$out" >&2
      return 0
    fi
    printf '%s\n' "$out" >&2
    case $out in
      *"Could not get lock"* | *"Unable to acquire"* | *"is held by process"*) ;;
      *) return 1 ;;
    esac
    if [ $SECONDS -ge $deadline ]; then
      log "apt-get: the package lock stayed held for ${wait}s; giving up"
      return 1
    fi
    log "apt-get: another package manager holds the lock; waiting for it"
    sleep 5
  done
}

apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || { log "not root: cannot apt-get install $*"; return 1; }
  if [ $apt_updated = 0 ]; then
    log "apt-get update"
    apt_get update -qq || return 1
    apt_updated=1
  fi
  log "apt-get install $*"
  apt_get install -y -qq --no-install-recommends "$@"
}

# --- 1. jars -----------------------------------------------------------------
fetch_jars() {
  if [ -f "$HADOOP_HOME_DIR/.complete" ]; then
    log "jars: $HADOOP_HOME_DIR (cached)"
    return 0
  fi
  have mvn || apt_install maven || die "Maven (mvn) is missing and could not be installed"
  have java || apt_install openjdk-17-jre-headless || die "java is missing and could not be installed"
  local tmp=$HADOOP_HOME_DIR.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp/lib" "$tmp/resources"
  log "jars: fetching Hadoop $HADOOP_VERSION with Maven into $HADOOP_HOME_DIR (repository $m2)"
  # mdep.overWriteReleases: unpack into the fresh $tmp every time. Otherwise the
  # marker an earlier run left in image/target, newer than the jar in $m2,
  # makes Maven skip the webapps.
  if ! mvn -B -q -f "$here/image/pom.xml" "-Dmaven.repo.local=$m2" \
      dependency:copy-dependencies@default-cli dependency:unpack@webapps \
      "-DoutputDirectory=$tmp/lib" -DincludeScope=runtime "-Dwebapps.dir=$tmp/resources" \
      -Dmdep.overWriteReleases=true >&2; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"
  fi
  [ -f "$tmp/lib/hadoop-hdfs-$HADOOP_VERSION.jar" ] || die "jars: hadoop-hdfs-$HADOOP_VERSION.jar missing after Maven"
  [ -d "$tmp/resources/webapps/hdfs" ] || die "jars: webapps/hdfs missing after Maven"
  touch "$tmp/.complete"
  rm -rf "$HADOOP_HOME_DIR"
  mv "$tmp" "$HADOOP_HOME_DIR"
}

# --- docker engine -------------------------------------------------------------
docker_ok() { docker info >/dev/null 2>&1; }

# start_dockerd ARGS...: starts dockerd in the background, waits for its socket.
start_dockerd() {
  local logf=${DOCKERD_LOG:-/var/log/gostream-dockerd.log}
  log "starting dockerd $* (log: $logf)"
  mkdir -p "$(dirname "$logf")"
  # setsid: dockerd outlives this script and its caller's process group.
  setsid dockerd "$@" >>"$logf" 2>&1 </dev/null &
  local pid=$! i
  for i in $(seq 1 60); do
    if docker_ok; then log "dockerd is up (pid $pid)"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  log "dockerd $* did not come up; last lines of $logf:"
  tail -n 15 "$logf" >&2 || true
  kill "$pid" 2>/dev/null || true
  sleep 1
  return 1
}

ensure_docker() {
  if ! have docker || ! have dockerd; then
    apt_install docker.io || { log "docker.io could not be installed"; return 1; }
  fi
  docker_ok && return 0
  [ "$(id -u)" = 0 ] || { log "no docker engine running and not root to start one"; return 1; }
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "a dockerd is running but does not answer; waiting for it"
    local i
    for i in $(seq 1 20); do docker_ok && return 0; sleep 0.5; done
    return 1
  fi
  start_dockerd && return 0
  # Sandboxes without iptables or overlayfs: host networking needs neither.
  start_dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs && return 0
  return 1
}

# --- 2. image ----------------------------------------------------------------
debian_mirror() {
  if [ -n "${TESTCLUSTER_MIRROR:-}" ]; then echo "$TESTCLUSTER_MIRROR"; return; fi
  local m=""
  # deb822 stanzas: the URIs of the one whose Suites include plain "bookworm".
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    m=$(awk -v suite="$BASE_SUITE" '
      /^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri=""; ok=0; next }
      /^URIs:/ { uri=$2 }
      /^Suites:/ { for (i=2; i<=NF; i++) if ($i == suite) ok=1 }
      END { if (uri != "" && ok) print uri }' /etc/apt/sources.list.d/*.sources | head -n1)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk -v suite="$BASE_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_base() {
  if image_exists "$BASE_IMAGE"; then log "base image: $BASE_IMAGE (present)"; return 0; fi
  have debootstrap || apt_install debootstrap || die "debootstrap is missing and could not be installed"
  local mirror root
  mirror=$(debian_mirror)
  root=$(mktemp -d "${TMPDIR:-/tmp}/gostream-rootfs.XXXXXX")
  log "base image: debootstrap --variant=minbase $BASE_SUITE from $mirror (about a minute)"
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$BASE_SUITE" "$root" "$mirror" \
      >"$root.log" 2>&1; then
    tail -n 20 "$root.log" >&2
    rm -rf "$root"
    die "debootstrap failed (log above; full log $root.log)"
  fi
  rm -f "$root.log"
  # Trim what a daemon never reads: package caches, lists, docs, locales.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
  log "base image: docker import as $BASE_IMAGE"
  tar -C "$root" -c . | docker import \
    --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

build_image() {
  if image_exists "$IMAGE"; then log "image: $IMAGE (present)"; return 0; fi
  build_base
  local stage cid
  stage=$(mktemp -d "${TMPDIR:-/tmp}/gostream-image.XXXXXX")
  mkdir -p "$stage/hadoop/bin" "$stage/hadoop/etc"
  cp -a "$HADOOP_HOME_DIR/lib" "$HADOOP_HOME_DIR/resources" "$stage/hadoop/"
  cp "$here/image/daemon.sh" "$stage/hadoop/bin/daemon.sh"
  cp -a "$here/image/conf" "$stage/hadoop/etc/templates"
  log "image: adding /opt/hadoop to $BASE_IMAGE as $IMAGE"
  cid=$(docker create "$BASE_IMAGE" /bin/true)
  if ! tar -C "$stage" -c hadoop | docker cp - "$cid:/opt"; then
    docker rm "$cid" >/dev/null; rm -rf "$stage"; die "docker cp into $cid failed"
  fi
  docker commit \
    --change 'ENV HADOOP_HOME=/opt/hadoop' \
    --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --change "LABEL org.gostream.testcluster.inputs=$image_hash" \
    "$cid" "$IMAGE" >/dev/null
  docker rm "$cid" >/dev/null
  rm -rf "$stage"
  # Older builds of the same image are garbage now.
  docker images --format '{{.Repository}}:{{.Tag}}' "gostream-testcluster/hadoop-$HADOOP_VERSION" |
    grep -vx "$IMAGE" | xargs -r docker rmi >/dev/null 2>&1 || true
}

fetch_jars
status=0
if [ $jars_only = 0 ]; then
  if ensure_docker; then
    build_image
  else
    log "no docker engine can run here; only the jars were prepared"
    status=4
  fi
fi
if [ $print = 1 ]; then
  echo "HADOOP_HOME=$HADOOP_HOME_DIR"
  [ $status = 0 ] && [ $jars_only = 0 ] && echo "IMAGE=$IMAGE"
fi
exit $status
