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

func TestNewLoginKerberos(t *testing.T) {
	dir := t.TempDir()
	site := `<configuration><property><name>hadoop.security.authentication</name><value>kerberos</value></property></configuration>`
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, err := hadoopconf.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewLogin(hc, "alice")
	if !errors.Is(err, ErrKerberosUnsupported) || !errors.Is(err, hadoopconf.ErrConfig) {
		t.Fatalf("NewLogin with Kerberos: %v, want ErrKerberosUnsupported and hadoopconf.ErrConfig", err)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "core-site.xml")) {
		t.Errorf("error %q does not name the site file", err)
	}
}

func TestNewLoginSimple(t *testing.T) {
	l, err := NewLogin(hadoopconf.New(map[string]string{hadoopconf.KeySecurityAuthn: "simple"}), "alice")
	if err != nil || l.User != "alice" || l.Auth != nil {
		t.Errorf("NewLogin(simple, alice) = %+v, %v; want alice with simple authentication", l, err)
	}
	t.Setenv(EnvUser, "bob")
	if l, err := NewLogin(hadoopconf.New(nil), ""); err != nil || l.User != "bob" {
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

func TestCheckKeytab(t *testing.T) {
	if err := CheckKeytab("", ""); err != nil {
		t.Errorf("CheckKeytab without a login: %v", err)
	}
	for _, kt := range [][2]string{{"me@REALM", "me.keytab"}, {"me@REALM", ""}, {"", "me.keytab"}} {
		if err := CheckKeytab(kt[0], kt[1]); !errors.Is(err, ErrKerberosUnsupported) {
			t.Errorf("CheckKeytab(%q, %q): %v, want ErrKerberosUnsupported", kt[0], kt[1], err)
		}
	}
}

func TestToken(t *testing.T) {
	a := Token(token.Token{Kind: token.KindAMRM, Identifier: []byte{1}})
	if a.Method() != ipc.MethodToken || a.SendsUser() {
		t.Errorf("Token authenticates with %s (sends user %v), want %s", a.Method(), a.SendsUser(), ipc.MethodToken)
	}
}
