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

// TestSubmitRefusesKerberos: a keytab login (--principal/--keytab, or their
// keys) fails before anything runs, with security.ErrKerberosUnsupported:
// the ResourceManager the configuration names is never contacted.
func TestSubmitRefusesKerberos(t *testing.T) {
	t.Parallel()
	rm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	dir := t.TempDir()
	site := "<configuration><property><name>yarn.resourcemanager.address</name><value>" + rm.Addr().String() + "</value></property></configuration>"
	if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+dir)
	for _, args := range [][]string{
		{"--master", "yarn", "--deploy-mode", "cluster", "--principal", "me@REALM", "--keytab", "me.keytab", "./app"},
		{"--master", "yarn", "--conf", "spark.kerberos.principal=me@REALM", "--conf", "spark.kerberos.keytab=me.keytab", "./app"},
		{"--master", "local[2]", "--principal", "me@REALM", "--keytab", "me.keytab", "./app"},
		{"--principal", "me@REALM", "--keytab", "me.keytab", "--status", "application_1700000000000_0001"},
	} {
		var out, errOut syncBuffer
		status := submit(args, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
		if status != exitUsage || !strings.Contains(errOut.String(), security.ErrKerberosUnsupported.Error()) {
			t.Errorf("gostream-submit %q: status %d, want %d with %q\nstderr:\n%s", args, status, exitUsage, security.ErrKerberosUnsupported, errOut.String())
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
