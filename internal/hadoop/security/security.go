package security

import (
	"errors"
	"fmt"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"os"
	"os/user"
	"strings"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/sasl"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoopconf"
)

// EnvUser names the user Hadoop calls act as with simple authentication.
const EnvUser = "HADOOP_USER_NAME"

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
	// User is the user the connections act as (with Kerberos, the
	// principal's short name).
	User string
	// Kerberos is the Kerberos login on a kerberized cluster; nil means
	// simple authentication (the user named in the connection context).
	Kerberos *Kerberos
}

// NewLogin decides the login of connections made with the configuration hc,
// acting as user ("" means CurrentUser). A configuration asking for
// Kerberos (hadoop.security.authentication=kerberos) logs in with creds, or
// from the ticket cache when creds are empty (ErrKerberosRequired when there
// is none); Close ends it. Credentials for a cluster without Kerberos are an
// error rather than silently unused.
func NewLogin(hc *hadoopconf.Conf, user string, creds Credentials) (Login, error) {
	if hc.Kerberos() {
		k, err := LoginKerberos(creds, nil)
		if errors.Is(err, ErrKerberosRequired) {
			return Login{}, fmt.Errorf("%s=kerberos in %s: %w (%w)", hadoopconf.KeySecurityAuthn, hc.Describe(), err, hadoopconf.ErrConfig)
		}
		if err != nil {
			return Login{}, fmt.Errorf("%s=kerberos in %s: %w", hadoopconf.KeySecurityAuthn, hc.Describe(), err)
		}
		return Login{User: k.ShortName(), Kerberos: k}, nil
	}
	if !creds.Empty() {
		return Login{}, fmt.Errorf("a Kerberos login is given (principal %q, keytab %q) but %s says the cluster does not use Kerberos (%s is not kerberos): leave --principal and --keytab out (%w)",
			creds.Principal, creds.Keytab, hc.Describe(), hadoopconf.KeySecurityAuthn, hadoopconf.ErrConfig)
	}
	if user == "" {
		var err error
		if user, err = CurrentUser(); err != nil {
			return Login{}, err
		}
	}
	return Login{User: user}, nil
}

// Close ends a Kerberos login; nothing for simple authentication.
func (l Login) Close() {
	if l.Kerberos != nil {
		l.Kerberos.Close()
	}
}

// Site-file keys naming servers' Kerberos principals and the protection of
// their connections.
const (
	KeyNameNodePrincipal        = "dfs.namenode.kerberos.principal"
	KeyResourceManagerPrincipal = "yarn.resourcemanager.principal"
	KeyRPCProtection            = "hadoop.rpc.protection"
	KeyDataTransferProtection   = "dfs.data.transfer.protection"
)

// IPC returns the user to name in the connection context and the
// authenticator (nil: simple) of connections to a server whose principal the
// site files name under principalKey (KeyNameNodePrincipal,
// KeyResourceManagerPrincipal), with the QOPs of hadoop.rpc.protection.
func (l Login) IPC(hc *hadoopconf.Conf, principalKey string) (string, ipc.Authenticator, error) {
	if l.Kerberos == nil {
		return l.User, nil, nil
	}
	principal := hc.String(principalKey, "")
	if principal == "" {
		return "", nil, fmt.Errorf("%s is not set in %s: a kerberized cluster's site files name its servers' principals (%w)", principalKey, hc.Describe(), hadoopconf.ErrConfig)
	}
	qops, err := sasl.ParseProtection(hc.String(KeyRPCProtection, "authentication"))
	if err != nil {
		return "", nil, fmt.Errorf("%s in %s: %v (%w)", KeyRPCProtection, hc.Describe(), err, hadoopconf.ErrConfig)
	}
	// A Kerberos connection names the whole principal: another name would
	// ask the server to let it act as a proxy user.
	return l.Kerberos.Principal(), ipc.KerberosAuth{Login: l.Kerberos.Client, Principal: principal, QOPs: qops}, nil
}

// HDFSAuth is how an HDFS client authenticates on a kerberized cluster.
type HDFSAuth struct {
	// Client is the logged-in Kerberos client.
	Client *krbclient.Client
	// NameNodePrincipal is the NameNodes' service principal without its
	// realm; _HOST is left for the HDFS client to expand with each NameNode's
	// host when there are several (HA).
	NameNodePrincipal string
	// DataTransferProtection is dfs.data.transfer.protection (SASL on
	// DataNode connections: authentication, integrity or privacy).
	DataTransferProtection string
}

// HDFS returns the Kerberos authentication of HDFS connections to the
// NameNodes at addrs; nil for simple authentication.
func (l Login) HDFS(hc *hadoopconf.Conf, addrs []string) (*HDFSAuth, error) {
	if l.Kerberos == nil {
		return nil, nil
	}
	principal := hc.String(KeyNameNodePrincipal, "")
	if principal == "" {
		return nil, fmt.Errorf("%s is not set in %s: a kerberized cluster's site files name the NameNode's principal (%w)", KeyNameNodePrincipal, hc.Describe(), hadoopconf.ErrConfig)
	}
	if len(addrs) == 1 {
		var err error
		if principal, err = ipc.ServerPrincipal(principal, addrs[0]); err != nil {
			return nil, fmt.Errorf("%w (%w)", err, hadoopconf.ErrConfig)
		}
	}
	cl, err := l.Kerberos.Client()
	if err != nil {
		return nil, err
	}
	name, _, _ := strings.Cut(principal, "@")
	return &HDFSAuth{Client: cl, NameNodePrincipal: name, DataTransferProtection: hc.String(KeyDataTransferProtection, "")}, nil
}

// Token is how the application master authenticates to the RM scheduler and
// to NodeManagers: with its AMRMToken or the NodeManager's NMToken, through
// SASL DIGEST-MD5, whatever the cluster's authentication.
func Token(t token.Token) ipc.Authenticator { return ipc.TokenAuth{Token: t} }
