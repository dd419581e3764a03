# Sourced by scripts/testcluster.sh: the secure cluster's KDC and the
# Kerberos settings layered over the image's site templates (the templates
# stay as they are, so the image is the insecure cluster's). Uses STATE,
# SECURE, KDC_PORT and the daemon ports of the sourcing script.
# shellcheck shell=bash

REALM=
if [ "$SECURE" = 1 ]; then
  REALM=GOSTREAM.TEST
  RPC_PROTECTION=${TESTCLUSTER_RPC_PROTECTION:-privacy,integrity,authentication}
  DATA_PROTECTION=${TESTCLUSTER_DATA_PROTECTION:-authentication}
  TEST_USER=gostream
fi

krb_env() { # runs a command with the cluster's Kerberos configuration
  KRB5_CONFIG=$STATE/krb5.conf KRB5_KDC_PROFILE=$STATE/kdc/kdc.conf "$@"
}

# The host names a daemon may put in place of _HOST: Java resolves the
# loopback address to "localhost", the DataNode uses dfs.datanode.hostname
# (127.0.0.1) and a NodeManager the machine's own name.
principal_hosts() { printf '%s\n' localhost 127.0.0.1 "$(hostname)" "$(hostname -f 2>/dev/null || hostname)" | sort -u; }

# kdc_install: MIT Kerberos's KDC, kadmin.local and kinit, from Debian's
# packages when missing (waiting for a dpkg lock another apt holds).
kdc_install() {
  command -v krb5kdc >/dev/null && command -v kadmin.local >/dev/null && command -v kinit >/dev/null && return 0
  log "installing MIT Kerberos (krb5-kdc, krb5-admin-server, krb5-user)"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install krb5-kdc krb5-admin-server krb5-user >>"$STATE/logs/apt.log" 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >>"$STATE/logs/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" install krb5-kdc krb5-admin-server krb5-user >>"$STATE/logs/apt.log" 2>&1; } ||
    die "could not install krb5-kdc, krb5-admin-server and krb5-user (see $STATE/logs/apt.log)"
}

kdc_setup() {
  local kdc=$STATE/kdc kt=$STATE/keytabs h svc
  mkdir -p "$STATE/logs"
  kdc_install
  mkdir -p "$kdc" "$kt" "$STATE/logs"
  chmod 700 "$kdc" "$kt"
  # Tickets live 10 minutes (renewable for 30), so tests meet expiry and
  # re-login within a run.
  cat >"$kdc/kdc.conf" <<EOF
[kdcdefaults]
 kdc_listen = 127.0.0.1:$KDC_PORT
 kdc_tcp_listen = 127.0.0.1:$KDC_PORT
[realms]
 $REALM = {
  database_name = $kdc/principal
  key_stash_file = $kdc/stash
  acl_file = $kdc/kadm5.acl
  max_life = 10m
  max_renewable_life = 30m
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
 }
[logging]
 kdc = FILE:$STATE/logs/kdc.log
EOF
  : >"$kdc/kadm5.acl"
  cat >"$STATE/krb5.conf" <<EOF
[libdefaults]
 default_realm = $REALM
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
 udp_preference_limit = 1
 forwardable = true
 default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
 default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
 permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
[realms]
 $REALM = {
  kdc = 127.0.0.1:$KDC_PORT
 }
[domain_realm]
 localhost = $REALM
 127.0.0.1 = $REALM
EOF
  krb_env kdb5_util -r "$REALM" create -s -P "gostream-test-master" >/dev/null ||
    die "kdb5_util could not create the KDC database in $kdc"
  {
    for svc in nn dn rm nm HTTP; do
      for h in $(principal_hosts); do echo "addprinc -randkey $svc/$h@$REALM"; done
    done
    echo "addprinc -randkey $TEST_USER@$REALM"
    for svc in nn dn rm nm; do
      echo "ktadd -k $kt/$svc.keytab $(principal_hosts | sed "s|.*|$svc/&@$REALM|" | tr '\n' ' ')"
    done
    # The NameNode's web server (WebHDFS, SPNEGO) uses the HTTP keys.
    echo "ktadd -k $kt/nn.keytab $(principal_hosts | sed "s|.*|HTTP/&@$REALM|" | tr '\n' ' ')"
    echo "ktadd -k $kt/$TEST_USER.keytab $TEST_USER@$REALM"
  } | krb_env kadmin.local -r "$REALM" >"$STATE/logs/kadmin.log" 2>&1 ||
    die "kadmin.local could not create the principals (see $STATE/logs/kadmin.log)"
  [ -s "$kt/$TEST_USER.keytab" ] || die "no keytab for $TEST_USER (see $STATE/logs/kadmin.log)"
  chmod 600 "$kt"/*.keytab
}

kdc_running() { local p; p=$(cat "$STATE/pids/kdc" 2>/dev/null || true); [ -n "$p" ] && alive "$p"; }

kdc_start() {
  mkdir -p "$STATE/pids"
  # -n: stay in the foreground, so the pid is the KDC's; 9>&-: not the lock.
  krb_env setsid krb5kdc -n -P "$STATE/kdc/krb5kdc.pid" >>"$STATE/logs/kdc.out" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/pids/kdc"
  local i
  for i in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$KDC_PORT") 2>/dev/null; then return 0; fi
    kdc_running || break
    sleep 0.1
  done
  die "the KDC did not start on 127.0.0.1:$KDC_PORT (see $STATE/logs/kdc.log, $STATE/logs/kdc.out)"
}

kdc_stop() {
  local p
  p=$(cat "$STATE/pids/kdc" 2>/dev/null || true)
  [ -n "$p" ] && kill -9 -- "-$p" 2>/dev/null || true
}

# secure_prepare_hdfs: /tmp, /tmp/logs (1777) and /user/root, made by Hadoop's
# own shell as the test user (in supergroup) from a ticket cache: WebHDFS
# would need SPNEGO on every web endpoint.
secure_prepare_hdfs() {
  local cc=$STATE/kdc/script.ccache conf=$STATE/conf/client
  KRB5_CONFIG=$STATE/krb5.conf kinit -c "FILE:$cc" -kt "$STATE/keytabs/$TEST_USER.keytab" "$TEST_USER@$REALM" ||
    { log "kinit as $TEST_USER failed"; return 1; }
  local env=(KRB5CCNAME="FILE:$cc" JAVA_TOOL_OPTIONS="-Djava.security.krb5.conf=$STATE/krb5.conf")
  local java=(java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 --add-opens=java.base/java.lang=ALL-UNNAMED)
  local script="${java[*]} -cp '$conf:@HADOOP_HOME@/lib/*' org.apache.hadoop.fs.FsShell -mkdir -p /tmp/logs /user/root &&
    ${java[*]} -cp '$conf:@HADOOP_HOME@/lib/*' org.apache.hadoop.fs.FsShell -chmod 1777 /tmp /tmp/logs"
  case $RUNNER in
    docker) docker exec -e "${env[0]}" -e "${env[1]}" "${PREFIX}nn" bash -c "${script//@HADOOP_HOME@/\/opt\/hadoop}" ;;
    process) env "${env[@]}" bash -c "${script//@HADOOP_HOME@/$HADOOP_HOME_DIR}" ;;
  esac >>"$STATE/logs/prepare.log" 2>&1 || { log "Hadoop's shell failed: $(tail -5 "$STATE/logs/prepare.log")"; return 1; }
}

# xml_props: "name=value" lines to <property> elements.
xml_props() { sed 's|^\([^=]*\)=\(.*\)$|  <property><name>\1</name><value>\2</value></property>|'; }

# add_props FILE: inserts the properties read from stdin before
# </configuration> (a later property overrides an earlier one).
add_props() {
  local f=$1 props
  props=$(xml_props)
  awk -v props="$props" '/<\/configuration>/ { print props } { print }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
}

# secure_render DIR DAEMON: the Kerberos settings of one daemon's (or the
# client's) site files.
secure_render() {
  local dir=$1 d=$2 kt=$STATE/keytabs dn_principal="dn/_HOST@$REALM"
  # The NameNode authorizes a DataNode as dn/<its reverse-resolved name>
  # (localhost), but a DataNode expands _HOST with dfs.datanode.hostname
  # (127.0.0.1): a DataNode names its principal itself.
  case $d in dn*) dn_principal="dn/localhost@$REALM" ;; esac
  add_props "$dir/core-site.xml" <<EOF
hadoop.security.authentication=kerberos
hadoop.security.authorization=true
hadoop.rpc.protection=$RPC_PROTECTION
hadoop.security.auth_to_local=RULE:[2:\$1](nn)s/.*/hdfs/ RULE:[2:\$1](dn)s/.*/hdfs/ RULE:[2:\$1](rm)s/.*/yarn/ RULE:[2:\$1](nm)s/.*/yarn/ DEFAULT
EOF
  add_props "$dir/hdfs-site.xml" <<EOF
dfs.block.access.token.enable=true
dfs.namenode.kerberos.principal=nn/_HOST@$REALM
dfs.namenode.keytab.file=$kt/nn.keytab
dfs.datanode.kerberos.principal=$dn_principal
dfs.datanode.keytab.file=$kt/dn.keytab
dfs.web.authentication.kerberos.principal=*
dfs.web.authentication.kerberos.keytab=$kt/nn.keytab
dfs.data.transfer.protection=$DATA_PROTECTION
ignore.secure.ports.for.testing=true
dfs.namenode.delegation.token.renew-interval=120000
dfs.namenode.delegation.token.max-lifetime=300000
EOF
  add_props "$dir/yarn-site.xml" <<EOF
yarn.resourcemanager.principal=rm/_HOST@$REALM
yarn.resourcemanager.keytab=$kt/rm.keytab
yarn.nodemanager.principal=nm/_HOST@$REALM
yarn.nodemanager.keytab=$kt/nm.keytab
yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled=false
yarn.resourcemanager.delegation.token.renew-interval=120000
yarn.resourcemanager.delegation.token.max-lifetime=300000
EOF
}

# secure_daemon_env: lines for a daemon's daemon.env (sourced by daemon.sh,
# so the JVM finds the cluster's krb5.conf without changing the image).
secure_daemon_env() {
  echo "export JAVA_TOOL_OPTIONS='-Djava.security.krb5.conf=$STATE/krb5.conf'"
}

# secure_cluster_env: what testcluster.GetSecure reads from cluster.env.
secure_cluster_env() {
  cat <<EOF
SECURE=1
REALM=$REALM
KRB5_CONFIG=$STATE/krb5.conf
KDC=127.0.0.1:$KDC_PORT
USER_PRINCIPAL=$TEST_USER@$REALM
USER_KEYTAB=$STATE/keytabs/$TEST_USER.keytab
KEYTAB_DIR=$STATE/keytabs
RPC_PROTECTION=$RPC_PROTECTION
DATA_PROTECTION=$DATA_PROTECTION
EOF
}
