//go:build integration

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/testcluster"
)

// kerberosIT runs the gostream binary against the secure test cluster.
type kerberosIT struct {
	t   *testing.T
	s   *testcluster.Secure
	bin string
}

// run runs gostream with args, the secure cluster's client environment
// (HADOOP_CONF_DIR=confDir) and extra, within a minute.
func (k *kerberosIT) run(confDir string, extra []string, args ...string) (int, string, string) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = append(append(os.Environ(), "HADOOP_CONF_DIR="+confDir, "YARN_CONF_DIR="+confDir, "KRB5_CONFIG="+k.s.Krb5Config,
		"GOSTREAM_KERBEROS_PRINCIPAL=", "GOSTREAM_KERBEROS_KEYTAB="), extra...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		k.t.Fatalf("gostream %q did not end within a minute; stderr:\n%s", args, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		k.t.Fatalf("gostream %q: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// confWith copies the client configuration with hadoop.rpc.protection set
// to protection.
func (k *kerberosIT) confWith(protection string) string {
	k.t.Helper()
	dir := k.t.TempDir()
	re := regexp.MustCompile(`(<name>hadoop.rpc.protection</name><value>)[^<]*`)
	for _, f := range []string{"core-site.xml", "hdfs-site.xml", "yarn-site.xml"} {
		b, err := os.ReadFile(filepath.Join(k.s.HadoopConfDir, f))
		if err != nil {
			k.t.Fatal(err)
		}
		if f == "core-site.xml" {
			if !re.Match(b) {
				k.t.Fatalf("%s sets no hadoop.rpc.protection", f)
			}
			b = re.ReplaceAll(b, []byte("${1}"+protection))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			k.t.Fatal(err)
		}
	}
	return dir
}

// kinit makes a ticket cache of the test user from its keytab, with the
// ticket lifetime given ("" for the KDC's).
func (k *kerberosIT) kinit(lifetime string) string {
	k.t.Helper()
	cache := filepath.Join(k.t.TempDir(), "ccache")
	args := []string{"-c", "FILE:" + cache, "-kt", k.s.UserKeytab}
	if lifetime != "" {
		args = append(args, "-l", lifetime)
	}
	cmd := exec.Command("kinit", append(args, k.s.UserPrincipal)...)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+k.s.Krb5Config)
	if out, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("kinit: %v\n%s", err, out)
	}
	return "KRB5CCNAME=FILE:" + cache
}

// TestKerberosFSAndYARN: on the kerberized cluster, `gostream fs` writes,
// reads and removes a file on HDFS and `gostream app status` asks the
// ResourceManager (a clear not-found), logged in with a keytab and with a
// ticket cache, for each QOP of hadoop.rpc.protection.
func TestKerberosFSAndYARN(t *testing.T) {
	s := testcluster.GetSecure(t)
	k := &kerberosIT{t: t, s: s, bin: yarntest.Build(t, ".", "gostream")}
	noCache := "KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "no-cache")
	logins := []struct {
		name  string
		env   []string
		flags []string
	}{
		{"keytab", []string{noCache}, []string{"--principal", s.UserPrincipal, "--keytab", s.UserKeytab}},
		{"ticket cache", []string{k.kinit("")}, nil},
	}
	for _, protection := range []string{"authentication", "integrity", "privacy"} {
		conf := k.confWith(protection)
		for _, l := range logins {
			t.Run(protection+"/"+strings.ReplaceAll(l.name, " ", "-"), func(t *testing.T) {
				k.t = t
				p := "/tmp/kerberos-it-" + protection + "-" + strings.ReplaceAll(l.name, " ", "-")
				text := "written by " + s.UserPrincipal + " with " + protection
				steps := []struct {
					args   []string
					code   int
					stdout string
					stderr string
				}{
					{[]string{"fs", "put", p, text}, 0, "", ""},
					{[]string{"fs", "cat", p}, 0, text, ""},
					{[]string{"fs", "rm", p}, 0, "", ""},
					{[]string{"fs", "exists", p}, 1, "", ""},
					{[]string{"app", "status", "application_1700000000000_0001"}, 3, "", "ApplicationNotFoundException"},
				}
				for _, st := range steps {
					code, out, errOut := k.run(conf, l.env, append(append([]string(nil), l.flags...), st.args...)...)
					if code != st.code || !strings.Contains(out, st.stdout) || !strings.Contains(errOut, st.stderr) {
						t.Fatalf("gostream %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
							st.args, code, out, errOut, st.code, st.stdout, st.stderr)
					}
				}
			})
		}
	}
}

// TestKerberosBadInput: each mistake in logging in is a clear error (exit
// 2 for a usage mistake, 3 otherwise) before any call is made.
func TestKerberosBadInput(t *testing.T) {
	s := testcluster.GetSecure(t)
	k := &kerberosIT{t: t, s: s, bin: yarntest.Build(t, ".", "gostream")}
	noCache := "KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "no-cache")

	// A krb5.conf whose KDC is a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadKDC := l.Addr().String()
	l.Close()
	b, err := os.ReadFile(s.Krb5Config)
	if err != nil {
		t.Fatal(err)
	}
	deadConf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(deadConf, []byte(strings.ReplaceAll(string(b), s.KDC, deadKDC)), 0o644); err != nil {
		t.Fatal(err)
	}

	expired := k.kinit("5s")
	time.Sleep(6 * time.Second)

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"no credentials", []string{noCache}, []string{"fs", "exists", "/tmp"}, 3,
			"this cluster requires Kerberos: pass --principal and --keytab, or kinit"},
		{"no credentials (YARN)", []string{noCache}, []string{"app", "status", "application_1700000000000_0001"}, 3,
			"this cluster requires Kerberos: pass --principal and --keytab, or kinit"},
		{"keytab without principal", []string{noCache}, []string{"--keytab", s.UserKeytab, "fs", "exists", "/tmp"}, 2,
			"--principal and --keytab go together"},
		{"keytab without the principal's key", []string{noCache},
			[]string{"--principal", "alice@" + s.Realm, "--keytab", s.UserKeytab, "fs", "exists", "/tmp"}, 3,
			"holds no key for alice@" + s.Realm},
		{"expired ticket cache", []string{expired}, []string{"fs", "exists", "/tmp"}, 3, "expired"},
		{"KDC unreachable", []string{noCache, "KRB5_CONFIG=" + deadConf},
			[]string{"--principal", s.UserPrincipal, "--keytab", s.UserKeytab, "fs", "exists", "/tmp"}, 3, "cannot reach the KDC"},
	} {
		code, _, errOut := k.run(s.HadoopConfDir, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: gostream %q: exit %d, stderr %q; want exit %d saying %q", tc.name, tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

// TestKerberosSubmitRefused: gostream-submit logs in and reaches the
// kerberized ResourceManager, then refuses to submit (delegation tokens are
// not obtained yet) with an error saying so, and no application exists.
func TestKerberosSubmitRefused(t *testing.T) {
	s := testcluster.GetSecure(t)
	submit := yarntest.Build(t, "../gostream-submit", "gostream-submit")
	app := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(app, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, submit, "--master", "yarn", "--deploy-mode", "cluster",
		"--principal", s.UserPrincipal, "--keytab", s.UserKeytab, app)
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+s.HadoopConfDir, "YARN_CONF_DIR="+s.HadoopConfDir, "KRB5_CONFIG="+s.Krb5Config)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "submitting to a kerberized YARN cluster is not supported yet") {
		t.Fatalf("gostream-submit to the kerberized cluster: %v, output:\n%s\nwant a failure saying submission is not supported yet", err, out)
	}
	if strings.Contains(string(out), "submitted application_") {
		t.Fatalf("gostream-submit submitted an application:\n%s", out)
	}
}
