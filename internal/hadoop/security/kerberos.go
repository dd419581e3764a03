package security

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// Environment variables of MIT Kerberos that a login honours.
const (
	EnvKrb5Config = "KRB5_CONFIG" // krb5.conf (default /etc/krb5.conf)
	EnvKrb5CCName = "KRB5CCNAME"  // the ticket cache (default /tmp/krb5cc_UID)
)

// ErrKerberosRequired is the error of a kerberized cluster without
// credentials: no keytab login was given and no ticket cache holds a
// ticket.
var ErrKerberosRequired = errors.New("this cluster requires Kerberos: pass --principal and --keytab, or kinit")

// ErrKerberosLogin wraps every failure to log in to Kerberos (a bad keytab,
// an expired cache, an unreachable KDC, a principal the KDC refuses).
var ErrKerberosLogin = errors.New("Kerberos login failed")

// Credentials say how to log in to Kerberos: Principal with Keytab, or
// neither for the ticket cache.
type Credentials struct {
	Principal string
	Keytab    string
}

// Empty reports whether no keytab login is given.
func (c Credentials) Empty() bool { return c.Principal == "" && c.Keytab == "" }

// reloginMargin: a ticket-cache login reads the cache again when its ticket
// has less than this left (someone may have run kinit again).
const reloginMargin = time.Minute

// Kerberos is a logged-in Kerberos identity. With a keytab, gokrb5 renews
// the ticket, or logs in again, before it expires (a goroutine that Close
// stops); from a ticket cache, Client reads the cache again when its ticket
// nears its end.
type Kerberos struct {
	principal string
	conf      *config.Config
	cache     string // the ticket cache's path; "" with a keytab

	mu  sync.Mutex
	cl  *krbclient.Client
	end time.Time // the cached ticket's end
}

// LoginKerberos logs in with creds: with a keytab, asking the KDC now;
// without, from the ticket cache. Every error wraps ErrKerberosLogin, or
// ErrKerberosRequired when there are no credentials at all.
func LoginKerberos(creds Credentials, getenv func(string) string) (*Kerberos, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if creds.Principal == "" && creds.Keytab != "" {
		return nil, fmt.Errorf("%w: keytab %s given without its principal: pass --principal too", ErrKerberosLogin, creds.Keytab)
	}
	if creds.Principal != "" && creds.Keytab == "" {
		return nil, fmt.Errorf("%w: principal %s given without a keytab: pass --keytab too, or leave both out and kinit", ErrKerberosLogin, creds.Principal)
	}
	confPath := firstPath(getenv(EnvKrb5Config), "/etc/krb5.conf")
	cfg, err := config.Load(confPath)
	if err != nil {
		if creds.Empty() && os.IsNotExist(errors.Unwrap(err)) {
			return nil, fmt.Errorf("%w (no %s)", ErrKerberosRequired, confPath)
		}
		return nil, fmt.Errorf("%w: krb5.conf %s (%s): %v", ErrKerberosLogin, confPath, EnvKrb5Config, err)
	}
	if creds.Empty() {
		return loginCache(cfg, getenv)
	}
	return loginKeytab(cfg, confPath, creds)
}

func loginKeytab(cfg *config.Config, confPath string, creds Credentials) (*Kerberos, error) {
	kt, err := keytab.Load(creds.Keytab)
	if err != nil {
		return nil, fmt.Errorf("%w: keytab %s: %v", ErrKerberosLogin, creds.Keytab, err)
	}
	name, realm, _ := strings.Cut(creds.Principal, "@")
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	full := name + "@" + realm
	var held []string
	found := false
	for _, e := range kt.Entries {
		p := strings.Join(e.Principal.Components, "/") + "@" + e.Principal.Realm
		if p == full {
			found = true
			break
		}
		if len(held) == 0 || held[len(held)-1] != p {
			held = append(held, p)
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: keytab %s holds no key for %s (it holds %s)", ErrKerberosLogin, creds.Keytab, full, strings.Join(held, ", "))
	}
	cl := krbclient.NewWithKeytab(name, realm, kt, cfg, krbclient.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		cl.Destroy()
		return nil, fmt.Errorf("%w: %s with keytab %s (KDC of realm %s from %s): %s", ErrKerberosLogin, full, creds.Keytab, realm, confPath, kdcError(err))
	}
	return &Kerberos{principal: full, conf: cfg, cl: cl}, nil
}

func loginCache(cfg *config.Config, getenv func(string) string) (*Kerberos, error) {
	path := getenv(EnvKrb5CCName)
	switch {
	case path == "":
		path = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	case strings.HasPrefix(path, "FILE:"):
		path = strings.TrimPrefix(path, "FILE:")
	case strings.Contains(path, ":") && !strings.HasPrefix(path, "/"):
		return nil, fmt.Errorf("%w: %s=%s: only FILE: ticket caches are supported", ErrKerberosLogin, EnvKrb5CCName, path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w (no ticket cache %s)", ErrKerberosRequired, path)
	}
	k := &Kerberos{conf: cfg, cache: path}
	if err := k.readCache(); err != nil {
		return nil, err
	}
	return k, nil
}

// readCache (re)loads the ticket cache; k.mu held or k not shared yet.
func (k *Kerberos) readCache() error {
	cc, err := credentials.LoadCCache(k.cache)
	if err != nil {
		return fmt.Errorf("%w: ticket cache %s: %v", ErrKerberosLogin, k.cache, err)
	}
	name := cc.GetClientPrincipalName().PrincipalNameString() + "@" + cc.GetClientRealm()
	var end time.Time
	for _, c := range cc.GetEntries() {
		if ns := c.Server.PrincipalName.NameString; len(ns) == 2 && ns[0] == "krbtgt" && ns[1] == c.Server.Realm {
			end = c.EndTime
		}
	}
	if end.IsZero() {
		return fmt.Errorf("%w: ticket cache %s holds no ticket-granting ticket for %s: run kinit", ErrKerberosLogin, k.cache, name)
	}
	if !time.Now().Before(end) {
		return fmt.Errorf("%w: the Kerberos ticket of %s in %s expired at %s: run kinit", ErrKerberosLogin, name, k.cache, end.Local().Format(time.RFC3339))
	}
	cl, err := krbclient.NewFromCCache(cc, k.conf, krbclient.DisablePAFXFAST(true))
	if err != nil {
		return fmt.Errorf("%w: ticket cache %s: %v", ErrKerberosLogin, k.cache, err)
	}
	if k.cl != nil {
		k.cl.Destroy()
	}
	k.cl, k.end, k.principal = cl, end, name
	return nil
}

// Principal is the logged-in principal (name@REALM).
func (k *Kerberos) Principal() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.principal
}

// ShortName is the principal's first component, the user Hadoop's default
// auth_to_local rule maps it to (alice@REALM, alice/host@REALM → alice).
func (k *Kerberos) ShortName() string {
	p := k.Principal()
	if i := strings.IndexAny(p, "/@"); i >= 0 {
		return p[:i]
	}
	return p
}

// Client returns the logged-in gokrb5 client; a ticket-cache login whose
// ticket nears its end reads the cache again first.
func (k *Kerberos) Client() (*krbclient.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cache != "" && time.Until(k.end) < reloginMargin {
		if err := k.readCache(); err != nil {
			return nil, err
		}
	}
	return k.cl, nil
}

// Close ends the login (and a keytab login's renewal goroutine).
func (k *Kerberos) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cl != nil {
		k.cl.Destroy()
		k.cl = nil
	}
}

// kdcError says what a failed KDC exchange means.
func kdcError(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return "the KDC does not know this principal: " + s
	case strings.Contains(s, "KDC_ERR_PREAUTH_FAILED"), strings.Contains(s, "KRB_AP_ERR_BAD_INTEGRITY"):
		return "the KDC refused the key (a keytab of an older key version, or a wrong password): " + s
	case strings.Contains(s, "KRB_AP_ERR_SKEW"):
		return "this machine's clock is too far from the KDC's: " + s
	case strings.Contains(s, "networking") || strings.Contains(s, "connection refused") || strings.Contains(s, "i/o timeout") || strings.Contains(s, "could not get"):
		return "cannot reach the KDC: " + s
	}
	return s
}

// firstPath is the first of a colon-separated list of paths, else def.
func firstPath(list, def string) string {
	for p := range strings.SplitSeq(list, ":") {
		if p != "" {
			return p
		}
	}
	return def
}
