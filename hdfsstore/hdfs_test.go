package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/hadoop/security"
)

// writeConf writes a core-site.xml (and hdfs-site.xml) with props.
func writeConf(t *testing.T, core, hdfsSite map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, props map[string]string) {
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
		for k, v := range props {
			fmt.Fprintf(&b, "  <property><name>%s</name><value>%s</value></property>\n", k, v)
		}
		b.WriteString("</configuration>\n")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("core-site.xml", core)
	if hdfsSite != nil {
		write("hdfs-site.xml", hdfsSite)
	}
	return dir
}

// forPath resolves p with a Resolver of the environment, closed when the
// test ends.
func forPath(t *testing.T, p string) (FS, string, error) {
	r := &Resolver{}
	t.Cleanup(func() { r.Close() })
	return r.ForPath(t.Context(), p)
}

func TestForPathLocal(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	noHDFS := writeConf(t, map[string]string{"fs.defaultFS": "file:///"}, nil)
	for _, tc := range []struct {
		confDir, in, want string
	}{
		{"", "/var/x/", "/var/x"},
		{"", "rel/dir", filepath.Join(wd, "rel/dir")},
		{"", "file:///tmp/a/../b", "/tmp/b"},
		{noHDFS, "/x", "/x"},
		{noHDFS, "file:///y", "/y"},
	} {
		t.Setenv("HADOOP_CONF_DIR", tc.confDir)
		fsys, name, err := forPath(t, tc.in)
		if err != nil {
			t.Errorf("ForPath(%q) with HADOOP_CONF_DIR=%q: %v", tc.in, tc.confDir, err)
			continue
		}
		if fsys.String() != NewLocal().String() || name != tc.want {
			t.Errorf("ForPath(%q) = %s, %q; want the local FS, %q", tc.in, fsys, name, tc.want)
		}
	}
}

func TestForPathBadInput(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", fs.ErrInvalid},
		{"s3a://bucket/x", fs.ErrInvalid},
		{"file://otherhost/x", fs.ErrInvalid},
		{"file:relative", fs.ErrInvalid},
		{"hdfs:///no/default", ErrConfig},
		{"hdfs:opaque", fs.ErrInvalid},
	} {
		_, _, err := forPath(t, tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("ForPath(%q): %v, want %v", tc.in, err, tc.want)
		}
	}
	t.Setenv("HADOOP_CONF_DIR", filepath.Join(t.TempDir(), "missing"))
	if _, _, err := forPath(t, "/x"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ForPath with a missing HADOOP_CONF_DIR: %v, want ErrConfig naming it", err)
	}
	t.Setenv("HADOOP_CONF_DIR", writeConf(t, map[string]string{"fs.defaultFS": "s3a://b"}, nil))
	if _, _, err := forPath(t, "/x"); !errors.Is(err, ErrConfig) {
		t.Errorf("ForPath with fs.defaultFS=s3a: %v, want ErrConfig", err)
	}
	t.Setenv("HADOOP_CONF_DIR", writeConf(t, map[string]string{
		"fs.defaultFS": "hdfs://127.0.0.1:1", "hadoop.security.authentication": "kerberos"}, nil))
	noKerberosCredentials(t)
	if _, _, err := forPath(t, "/x"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "kerberos") {
		t.Errorf("ForPath with Kerberos: %v, want ErrConfig about kerberos", err)
	}
}

// TestForPathKerberos: a configuration directory asking for Kerberos,
// without a keytab login or a ticket cache, fails with the sentinel the YARN
// client uses too.
func TestForPathKerberos(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", writeConf(t, map[string]string{
		"fs.defaultFS": "hdfs://127.0.0.1:1", "hadoop.security.authentication": "kerberos"}, nil))
	noKerberosCredentials(t)
	for _, p := range []string{"/x", "hdfs://127.0.0.1:1/x"} {
		if _, _, err := forPath(t, p); !errors.Is(err, security.ErrKerberosRequired) {
			t.Errorf("ForPath(%q) with Kerberos: %v, want security.ErrKerberosRequired", p, err)
		}
	}
}

// noKerberosCredentials points KRB5_CONFIG at a krb5.conf and KRB5CCNAME at
// a ticket cache that does not exist.
func noKerberosCredentials(t *testing.T) {
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(security.EnvKrb5Config, krb5)
	t.Setenv(security.EnvKrb5CCName, "FILE:"+filepath.Join(dir, "no-cache"))
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestForPathClusterDown: HADOOP_CONF_DIR names a NameNode that is not there:
// a clear error naming the address, fast.
func TestForPathClusterDown(t *testing.T) {
	addr := closedPort(t)
	t.Setenv("HADOOP_CONF_DIR", writeConf(t, map[string]string{"fs.defaultFS": "hdfs://" + addr}, nil))
	t.Setenv("HADOOP_USER_NAME", "tester")
	start := time.Now()
	_, _, err := forPath(t, "/checkpoints")
	if err == nil {
		t.Fatal("ForPath succeeded against a closed port")
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q: want ErrUnavailable naming %s", err, addr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("error: %v", err)
}

// TestNewHDFSSilentServer: a NameNode address that accepts connections but
// never answers fails within the configured timeouts, not never.
func TestNewHDFSSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	start := time.Now()
	_, err = NewHDFS(t.Context(), HDFSOptions{
		Addresses: []string{l.Addr().String()}, User: "tester",
		DialTimeout: 500 * time.Millisecond, OpTimeout: 500 * time.Millisecond,
	})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("NewHDFS against a silent server: %v, want ErrUnavailable naming the address", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v, want about the 1.5 s of timeouts", d)
	}

	// A cancelled context wins at once.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := NewHDFS(ctx, HDFSOptions{Addresses: []string{l.Addr().String()}, User: "tester"}); !errors.Is(err, context.Canceled) {
		t.Errorf("NewHDFS with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := NewHDFS(t.Context(), HDFSOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("NewHDFS without addresses: %v, want ErrConfig", err)
	}
}

// fakeRemote is a remote exception as the client library reports it.
type fakeRemote struct{ class, msg string }

func (e fakeRemote) Error() string     { return "call failed with ERROR_APPLICATION (" + e.class + ")" }
func (e fakeRemote) Method() string    { return "create" }
func (e fakeRemote) Desc() string      { return "ERROR_APPLICATION" }
func (e fakeRemote) Exception() string { return e.class }
func (e fakeRemote) Message() string   { return e.msg }

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{fakeRemote{"org.apache.hadoop.hdfs.server.namenode.SafeModeException", "Cannot create file/x. Name node is in safe mode.\nIt was turned on manually."}, ErrSafeMode},
		{fakeRemote{"org.apache.hadoop.ipc.RetriableException", "org.apache.hadoop.hdfs.server.namenode.SafeModeException: Name node is in safe mode."}, ErrSafeMode},
		{fakeRemote{"org.apache.hadoop.security.AccessControlException", "Permission denied: user=alice"}, fs.ErrPermission},
		{fakeRemote{"java.io.FileNotFoundException", "File does not exist: /x"}, fs.ErrNotExist},
		{fakeRemote{"org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException", "held by"}, fs.ErrExist},
		{fakeRemote{"org.apache.hadoop.fs.ParentNotDirectoryException", "/f (is not a directory)"}, syscall.ENOTDIR},
		{fakeRemote{"java.io.IOException", "File /x could only be written to 0 of the 1 minReplication nodes."}, ErrUnavailable},
		{fakeRemote{"org.apache.hadoop.ipc.StandbyException", "Operation category READ is not supported in state standby"}, ErrUnavailable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ErrUnavailable},
		{fmt.Errorf("wrapped: %w", os.ErrDeadlineExceeded), ErrUnavailable},
		{&fs.PathError{Op: "stat", Path: "/x", Err: fs.ErrNotExist}, fs.ErrNotExist},
		{context.Canceled, context.Canceled},
	} {
		got := classify(tc.err)
		if !errors.Is(got, tc.want) {
			t.Errorf("classify(%v) = %v, want errors.Is %v", tc.err, got, tc.want)
		}
		if !errors.Is(got, tc.err) && !errors.As(got, new(fakeRemote)) {
			t.Errorf("classify(%v) lost the cause: %v", tc.err, got)
		}
	}
	if got := classify(fakeRemote{"x.Y", "line one\nline two"}); got.Error() != "x.Y: line one" {
		t.Errorf("message %q, want the exception and the first line", got.Error())
	}
}

func TestCheckName(t *testing.T) {
	h := &HDFS{opts: HDFSOptions{Authority: "nn:8020"}}
	for _, name := range []string{"rel", "/a/../b", "/a/", ""} {
		if err := h.checkName("stat", name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("checkName(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
	if err := h.checkName("stat", "/a/b"); err != nil {
		t.Errorf("checkName(/a/b) = %v", err)
	}
	if h.String() != "hdfs://nn:8020" {
		t.Errorf("String() = %q", h.String())
	}
}
