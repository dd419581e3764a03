package testcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Secure is the kerberized test cluster (`testcluster.sh --secure`): its
// own KDC, daemons, ports and state directory, beside the shared insecure
// cluster. Cluster's fault injection works on it as on the other.
type Secure struct {
	*Cluster
	// Realm is the Kerberos realm (GOSTREAM.TEST).
	Realm string
	// Krb5Config is the krb5.conf clients use (KRB5_CONFIG).
	Krb5Config string
	// KDC is the KDC's address (127.0.0.1:port).
	KDC string
	// UserPrincipal and UserKeytab are the test user's (in the HDFS
	// superuser group, like gostream on the insecure cluster).
	UserPrincipal, UserKeytab string
	// KeytabDir holds every keytab (the services' too).
	KeytabDir string
	// RPCProtection is the daemons' hadoop.rpc.protection (the QOPs they
	// accept); DataProtection their dfs.data.transfer.protection.
	RPCProtection, DataProtection string
}

// KerberosEnv returns the environment entries a client process needs
// besides Env: KRB5_CONFIG (each test names its own ticket cache).
func (s *Secure) KerberosEnv() []string {
	return append(s.Env(), "KRB5_CONFIG="+s.Krb5Config)
}

var sharedSecure struct {
	once sync.Once
	s    *Secure
	err  error
}

// GetSecure returns the secure test cluster, bringing it up when needed;
// like Get, it fails the test under CI and skips it, loudly, elsewhere.
func GetSecure(t testing.TB) *Secure {
	t.Helper()
	sharedSecure.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		defer cancel()
		sharedSecure.s, sharedSecure.err = obtainSecure(ctx)
		if sharedSecure.s != nil {
			fmt.Fprintf(os.Stderr, "testcluster: using the secure cluster, %s runner (HADOOP_CONF_DIR=%s, KRB5_CONFIG=%s)\n",
				sharedSecure.s.Runner, sharedSecure.s.HadoopConfDir, sharedSecure.s.Krb5Config)
		}
	})
	if sharedSecure.err != nil {
		unavailable(t, sharedSecure.err)
	}
	return sharedSecure.s
}

func obtainSecure(ctx context.Context) (*Secure, error) {
	state := secureStateDir()
	c, err := obtain(ctx, state, "--secure")
	if err != nil {
		return nil, err
	}
	env, err := readEnvFile(filepath.Join(state, "cluster.env"))
	if err != nil {
		return nil, err
	}
	s := &Secure{
		Cluster: c, Realm: env["REALM"], Krb5Config: env["KRB5_CONFIG"], KDC: env["KDC"],
		UserPrincipal: env["USER_PRINCIPAL"], UserKeytab: env["USER_KEYTAB"], KeytabDir: env["KEYTAB_DIR"],
		RPCProtection: env["RPC_PROTECTION"], DataProtection: env["DATA_PROTECTION"],
	}
	for k, v := range map[string]string{"REALM": s.Realm, "KRB5_CONFIG": s.Krb5Config, "KDC": s.KDC, "USER_PRINCIPAL": s.UserPrincipal, "USER_KEYTAB": s.UserKeytab} {
		if v == "" {
			return nil, fmt.Errorf("%s/cluster.env lacks %s: not a secure cluster", state, k)
		}
	}
	return s, nil
}

// secureStateDir is the secure cluster's state directory
// (TESTCLUSTER_SECURE_DIR).
func secureStateDir() string {
	if d := os.Getenv("TESTCLUSTER_SECURE_DIR"); d != "" {
		return d
	}
	return "/tmp/gostream-testcluster-secure"
}
