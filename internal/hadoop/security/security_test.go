package security

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoopconf"
)

// TestNewLoginKerberosWithoutCredentials: a kerberized cluster with no
// keytab login and no ticket cache is ErrKerberosRequired, naming the site
// file.
func TestNewLoginKerberosWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvKrb5Config, writeKrb5Conf(t))
	t.Setenv(EnvKrb5CCName, "FILE:"+filepath.Join(dir, "no-cache"))
	site := `<configuration><property><name>hadoop.security.authentication</name><value>kerberos</value></property></configuration>`
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, err := hadoopconf.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewLogin(hc, "alice", Credentials{})
	if !errors.Is(err, ErrKerberosRequired) || !errors.Is(err, hadoopconf.ErrConfig) {
		t.Fatalf("NewLogin with Kerberos: %v, want ErrKerberosRequired and hadoopconf.ErrConfig", err)
	}
	if !strings.Contains(err.Error(), "this cluster requires Kerberos: pass --principal and --keytab, or kinit") {
		t.Errorf("error %q does not say what to do", err)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "core-site.xml")) {
		t.Errorf("error %q does not name the site file", err)
	}
}

func TestNewLoginSimple(t *testing.T) {
	l, err := NewLogin(hadoopconf.New(map[string]string{hadoopconf.KeySecurityAuthn: "simple"}), "alice", Credentials{})
	if err != nil || l.User != "alice" || l.Kerberos != nil {
		t.Errorf("NewLogin(simple, alice) = %+v, %v; want alice with simple authentication", l, err)
	}
	t.Setenv(EnvUser, "bob")
	if l, err := NewLogin(hadoopconf.New(nil), "", Credentials{}); err != nil || l.User != "bob" {
		t.Errorf("NewLogin without a user = %+v, %v; want %s from %s", l, err, "bob", EnvUser)
	}
}

func TestCurrentUser(t *testing.T) {
	t.Setenv(EnvUser, " carol ")
	if u, err := CurrentUser(); err != nil || u != "carol" {
		t.Errorf("CurrentUser = %q, %v; want carol", u, err)
	}
	t.Setenv(EnvUser, "")
	if u, err := CurrentUser(); err != nil || u == "" {
		t.Errorf("CurrentUser without %s = %q, %v; want the OS user", EnvUser, u, err)
	}
}

// TestNewLoginCredentialsWithoutKerberos: a keytab login for a cluster
// without Kerberos is refused rather than silently unused.
func TestNewLoginCredentialsWithoutKerberos(t *testing.T) {
	_, err := NewLogin(hadoopconf.New(nil), "alice", Credentials{Principal: "me@R", Keytab: "me.keytab"})
	if !errors.Is(err, hadoopconf.ErrConfig) {
		t.Errorf("NewLogin(simple, keytab login): %v, want hadoopconf.ErrConfig", err)
	}
}

// TestLoginKerberosBadInput: each mistake is ErrKerberosLogin saying what
// is wrong, before any KDC is asked.
func TestLoginKerberosBadInput(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{EnvKrb5Config: writeKrb5Conf(t)}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name  string
		creds Credentials
		want  string
	}{
		{"keytab without principal", Credentials{Keytab: "me.keytab"}, "without its principal"},
		{"principal without keytab", Credentials{Principal: "me@R"}, "without a keytab"},
		{"missing keytab", Credentials{Principal: "me@R", Keytab: filepath.Join(dir, "none.keytab")}, "none.keytab"},
	} {
		if _, err := LoginKerberos(tc.creds, getenv); !errors.Is(err, ErrKerberosLogin) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrKerberosLogin saying %q", tc.name, err, tc.want)
		}
	}
	env[EnvKrb5CCName] = "FILE:" + filepath.Join(dir, "no-cache")
	if _, err := LoginKerberos(Credentials{}, getenv); !errors.Is(err, ErrKerberosRequired) {
		t.Errorf("no ticket cache: %v, want ErrKerberosRequired", err)
	}
	env[EnvKrb5CCName] = "KEYRING:persistent:0"
	if _, err := LoginKerberos(Credentials{}, getenv); !errors.Is(err, ErrKerberosLogin) || !strings.Contains(err.Error(), "FILE:") {
		t.Errorf("a keyring cache: %v, want ErrKerberosLogin saying only FILE: caches work", err)
	}
}

func writeKrb5Conf(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	c := "[libdefaults]\n default_realm = EXAMPLE.TEST\n[realms]\n EXAMPLE.TEST = {\n  kdc = 127.0.0.1:1\n }\n"
	if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToken(t *testing.T) {
	a := Token(token.Token{Kind: token.KindAMRM, Identifier: []byte{1}})
	if a.Method() != ipc.MethodToken || a.SendsUser() {
		t.Errorf("Token authenticates with %s (sends user %v), want %s", a.Method(), a.SendsUser(), ipc.MethodToken)
	}
}
