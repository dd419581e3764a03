package security

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoopconf"
)

// EnvUser names the user Hadoop calls act as with simple authentication.
const EnvUser = "HADOOP_USER_NAME"

// ErrKerberosUnsupported is the error of every configuration that asks for
// Kerberos.
var ErrKerberosUnsupported = errors.New("gostream does not support Kerberos yet: use a cluster with " +
	hadoopconf.KeySecurityAuthn + "=simple, and leave gostream.kerberos.principal and gostream.kerberos.keytab (--principal, --keytab) unset")

// CurrentUser is the user Hadoop calls act as: $HADOOP_USER_NAME, else the
// OS user.
func CurrentUser() (string, error) {
	if u := strings.TrimSpace(os.Getenv(EnvUser)); u != "" {
		return u, nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("no Hadoop user: set %s", EnvUser)
}

// Login is how a process's own Hadoop connections (the RM client protocol,
// HDFS) authenticate.
type Login struct {
	// User is the user the connections act as.
	User string
	// Auth authenticates IPC connections; nil means simple authentication
	// (the user named in the connection context).
	Auth ipc.Authenticator
}

// NewLogin decides the login of connections made with the configuration hc,
// acting as user ("" means CurrentUser). A configuration asking for Kerberos
// fails with ErrKerberosUnsupported (and hadoopconf.ErrConfig).
func NewLogin(hc *hadoopconf.Conf, user string) (Login, error) {
	if hc.Kerberos() {
		return Login{}, fmt.Errorf("%s=kerberos in %s: %w (%w)", hadoopconf.KeySecurityAuthn, hc.Describe(), ErrKerberosUnsupported, hadoopconf.ErrConfig)
	}
	if user == "" {
		var err error
		if user, err = CurrentUser(); err != nil {
			return Login{}, err
		}
	}
	return Login{User: user}, nil
}

// Token is how the application master authenticates to the RM scheduler and
// to NodeManagers: with its AMRMToken or the NodeManager's NMToken, through
// SASL DIGEST-MD5, whatever the cluster's authentication.
func Token(t token.Token) ipc.Authenticator { return ipc.TokenAuth{Token: t} }

// CheckKeytab refuses a keytab login (gostream.kerberos.principal and
// gostream.kerberos.keytab): until Kerberos is supported it would go unused.
func CheckKeytab(principal, keytab string) error {
	if principal == "" && keytab == "" {
		return nil
	}
	return fmt.Errorf("a Kerberos login is configured (principal %q, keytab %q): %w", principal, keytab, ErrKerberosUnsupported)
}
