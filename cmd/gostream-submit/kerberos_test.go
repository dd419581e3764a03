package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/hadoop/security"
)

// TestSubmitKerberosBadLogin: on a kerberized cluster, a keytab login that
// cannot be made (here: a keytab that does not exist) and a missing one
// (no --principal/--keytab, no ticket cache) fail before anything is
// submitted: the ResourceManager the configuration names is never contacted.
func TestSubmitKerberosBadLogin(t *testing.T) {
	rm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	dir := t.TempDir()
	site := "<configuration><property><name>yarn.resourcemanager.address</name><value>" + rm.Addr().String() + "</value></property>" +
		"<property><name>hadoop.security.authentication</name><value>kerberos</value></property></configuration>"
	if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(security.EnvKrb5Config, krb5)
	t.Setenv(security.EnvKrb5CCName, "FILE:"+filepath.Join(dir, "no-cache"))
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+dir)
	missing := filepath.Join(dir, "me.keytab")
	app := filepath.Join(dir, "app")
	if err := os.WriteFile(app, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--master", "yarn", "--deploy-mode", "cluster", "--principal", "me@REALM", "--keytab", missing, app}, missing},
		{[]string{"--master", "yarn", "--conf", "spark.kerberos.principal=me@REALM", "--conf", "spark.kerberos.keytab=" + missing, app}, missing},
		{[]string{"--principal", "me@REALM", "--keytab", missing, "--status", "application_1700000000000_0001"}, missing},
		{[]string{"--master", "yarn", app}, security.ErrKerberosRequired.Error()},
		{[]string{"--status", "application_1700000000000_0001"}, security.ErrKerberosRequired.Error()},
	} {
		var out, errOut syncBuffer
		status := submit(tc.args, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
		if status == exitOK || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("gostream-submit %q: status %d, want a failure saying %q\nstderr:\n%s", tc.args, status, tc.want, errOut.String())
		}
	}
	// Any connection made would be in the listener's queue by now.
	if err := rm.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if c, err := rm.Accept(); err == nil {
		c.Close()
		t.Error("gostream-submit connected to the ResourceManager before refusing the Kerberos login")
	}
}
