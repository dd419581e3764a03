#!/usr/bin/env bash
# Starts one Hadoop daemon of the gostream test cluster in the foreground.
#
# Usage: daemon.sh CONF_DIR
#   CONF_DIR holds the daemon's rendered site files and daemon.env, which sets
#   DAEMON (a name such as nm1), ROLE (namenode|datanode|resourcemanager|
#   nodemanager), HEAP (e.g. 256m) and LOG_DIR.
# Environment: HADOOP_HOME (its lib/ holds the jars; default /opt/hadoop),
#   JAVA_HOME or java on PATH.
# The same script runs inside the docker image and, in the fallback runner,
# directly on the host. The NameNode formats its name directory on first start.
# Exit status: that of the daemon; 2 on a usage error.
set -eu

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 1 ] || usage
conf=$1
[ -f "$conf/daemon.env" ] || { echo "daemon.sh: $conf/daemon.env missing" >&2; exit 2; }
# shellcheck disable=SC1091
. "$conf/daemon.env"
: "${DAEMON:?}" "${ROLE:?}" "${HEAP:?}" "${LOG_DIR:?}"

HADOOP_HOME=${HADOOP_HOME:-/opt/hadoop}
java=java
[ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java

case $ROLE in
  namenode)        main=org.apache.hadoop.hdfs.server.namenode.NameNode ;;
  datanode)        main=org.apache.hadoop.hdfs.server.datanode.DataNode ;;
  resourcemanager) main=org.apache.hadoop.yarn.server.resourcemanager.ResourceManager ;;
  nodemanager)     main=org.apache.hadoop.yarn.server.nodemanager.NodeManager ;;
  *) echo "daemon.sh: unknown ROLE $ROLE" >&2; exit 2 ;;
esac

# Java 17 closes the JDK's internals; these are the packages Hadoop 3.4's
# daemons and web UIs reach into (see testcluster/README.md).
opens=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
)

mkdir -p "$LOG_DIR"
jvm=(
  "-Xmx$HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k
  -Djava.net.preferIPv4Stack=true
  "-Dhadoop.log.dir=$LOG_DIR" "-Dhadoop.log.file=$DAEMON.log"
  "-Dhadoop.home.dir=$HADOOP_HOME" "-Dyarn.log.dir=$LOG_DIR" "-Dyarn.log.file=$DAEMON.log"
  "-Dhadoop.root.logger=INFO,FILE,CONSOLE" -Dhadoop.id.str=root
  "${opens[@]}"
  -cp "$conf:$HADOOP_HOME/resources:$HADOOP_HOME/lib/*"
)

export HADOOP_CONF_DIR=$conf YARN_CONF_DIR=$conf HADOOP_HOME
# Containers launched by a NodeManager inherit what their environment whitelist allows.
export HADOOP_COMMON_HOME=$HADOOP_HOME HADOOP_HDFS_HOME=$HADOOP_HOME HADOOP_YARN_HOME=$HADOOP_HOME

if [ "$ROLE" = namenode ]; then
  namedir=$(sed -n 's|.*<name>dfs.namenode.name.dir</name><value>file://\([^<]*\)</value>.*|\1|p' "$conf/hdfs-site.xml")
  if [ -n "$namedir" ] && [ ! -f "$namedir/current/VERSION" ]; then
    echo "daemon.sh: formatting $namedir" >&2
    "$java" "${jvm[@]}" "$main" -format -nonInteractive -force -clusterid gostream-testcluster
  fi
fi
echo "daemon.sh: starting $DAEMON ($ROLE) pid $$" >&2
exec "$java" "${jvm[@]}" "$main"
