package ipc

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	krbclient "github.com/jcmturner/gokrb5/v8/client"

	"github.com/gostream/gostream/internal/hadoop/sasl"
	"github.com/gostream/gostream/internal/hadoop/token"
)

// Hadoop auth method names, as servers list them in NEGOTIATE.
const (
	MethodSimple   = "SIMPLE"
	MethodToken    = "TOKEN"
	MethodKerberos = "KERBEROS"
)

// SASLAuth is one auth a server offers in its NEGOTIATE message.
type SASLAuth struct {
	Method    string // SIMPLE, TOKEN, KERBEROS
	Mechanism string // "", DIGEST-MD5, GSSAPI
	Protocol  string // SASL protocol ("" for tokens; the service's for Kerberos)
	ServerID  string // SASL server name ("default" for tokens; the host for Kerberos)
	Challenge []byte // the first challenge, when the server sent it early
	Addr      string // the server's address as the client dialled it
}

// Authenticator authenticates a connection with SASL. A Client without one
// uses auth protocol "none" and names its user in the connection context,
// which servers accept when hadoop.security.authentication is simple and the
// protocol does not insist on tokens.
//
// TokenAuth implements it for Hadoop tokens (DIGEST-MD5), KerberosAuth for
// Kerberos (GSSAPI).
type Authenticator interface {
	// Method is the Hadoop auth method this authenticator provides.
	Method() string
	// Mechanism is its SASL mechanism name.
	Mechanism() string
	// Start begins an exchange for the server's offer (whose Method and
	// Mechanism match this authenticator's).
	Start(offer SASLAuth) (Mechanism, error)
	// SendsUser tells whether the connection context names the client's user:
	// true for Kerberos, false for tokens (the token names the user, and a
	// different name in the context is refused).
	SendsUser() bool
}

// Mechanism is one client-side SASL exchange.
type Mechanism interface {
	// Step answers a challenge; a nil challenge asks for the initial
	// response (empty when the mechanism has none).
	Step(challenge []byte) ([]byte, error)
	// Finish checks the token of the server's SUCCESS message (nil when the
	// server sent none) and reports whether the client is satisfied.
	Finish(token []byte) error
}

// TokenAuth authenticates with a Hadoop token (AMRMToken, NMToken,
// delegation token) through SASL DIGEST-MD5, as Hadoop's SaslRpcClient does.
type TokenAuth struct {
	Token token.Token
}

func (TokenAuth) Method() string    { return MethodToken }
func (TokenAuth) Mechanism() string { return sasl.MechDigestMD5 }
func (TokenAuth) SendsUser() bool   { return false }

func (a TokenAuth) Start(offer SASLAuth) (Mechanism, error) {
	if len(a.Token.Identifier) == 0 {
		return nil, fmt.Errorf("token auth: the %s token has no identifier", a.Token.Kind)
	}
	user, pass := sasl.TokenCredentials(a.Token.Identifier, a.Token.Password)
	return &digestMech{c: &sasl.DigestMD5Client{
		Username: user, Password: pass, Protocol: offer.Protocol, ServerID: offer.ServerID,
	}}, nil
}

type digestMech struct {
	c       *sasl.DigestMD5Client
	started bool
}

func (m *digestMech) Step(challenge []byte) ([]byte, error) {
	if challenge == nil && !m.started {
		return []byte{}, nil // DIGEST-MD5 has no initial response
	}
	m.started = true
	return m.c.Step(challenge)
}

func (m *digestMech) Finish(token []byte) error {
	if token == nil {
		return fmt.Errorf("DIGEST-MD5: server reported success without rspauth")
	}
	return m.c.Verify(token)
}

// SecurityLayer is a Mechanism that negotiated integrity or privacy (SASL
// QOP auth-int or auth-conf): after the exchange, every message in either
// direction travels wrapped in SASL WRAP messages.
type SecurityLayer interface {
	// QOP is the negotiated protection; QOPAuth means no layer.
	QOP() sasl.QOP
	// Wrap protects one piece of the byte stream to the server, at most
	// MaxSend bytes.
	Wrap(p []byte) ([]byte, error)
	// Unwrap checks (or decrypts) one WRAP token of the server.
	Unwrap(token []byte) ([]byte, error)
	// MaxSend is the most Wrap takes at once.
	MaxSend() int
}

// KerberosAuth authenticates with Kerberos through SASL GSSAPI, with the
// QOP hadoop.rpc.protection asks for, as Hadoop's SaslRpcClient does.
type KerberosAuth struct {
	// Login returns the process's Kerberos client, logged in (it may log in
	// again when its ticket nears expiry).
	Login func() (*krbclient.Client, error)
	// Principal is the server's principal as the site files name it
	// (dfs.namenode.kerberos.principal, yarn.resourcemanager.principal):
	// _HOST stands for the server's host name.
	Principal string
	// QOPs are the acceptable protections, most preferred first (nil:
	// authentication only).
	QOPs []sasl.QOP
}

func (KerberosAuth) Method() string    { return MethodKerberos }
func (KerberosAuth) Mechanism() string { return sasl.MechGSSAPI }
func (KerberosAuth) SendsUser() bool   { return true }

func (a KerberosAuth) Start(offer SASLAuth) (Mechanism, error) {
	if a.Principal == "" {
		return nil, fmt.Errorf("kerberos auth: the server's principal is not configured")
	}
	spn, err := ServerPrincipal(a.Principal, offer.Addr)
	if err != nil {
		return nil, err
	}
	// Hadoop's client checks that the server's own principal, which it
	// offers as protocol/serverId, is the configured one.
	if offer.Protocol != "" {
		want, _, _ := strings.Cut(spn, "@")
		if got := offer.Protocol + "/" + offer.ServerID; got != want {
			return nil, &RemoteError{
				Class:   classAccessControl,
				Message: fmt.Sprintf("the server at %s authenticates as %s, but the configuration expects %s (from %s)", offer.Addr, got, spn, a.Principal),
				Fatal:   true,
			}
		}
	}
	if a.Login == nil {
		return nil, fmt.Errorf("kerberos auth: no Kerberos login")
	}
	cl, err := a.Login()
	if err != nil {
		return nil, err
	}
	qops := a.QOPs
	if len(qops) == 0 {
		qops = []sasl.QOP{sasl.QOPAuth}
	}
	return &sasl.GSSAPIClient{Client: cl, SPN: spn, QOPs: qops}, nil
}

// reverseLookupTimeout bounds the name lookup of a server's address.
const reverseLookupTimeout = 5 * time.Second

// ServerPrincipal expands _HOST in a server principal pattern with the
// canonical name of addr's host (its reverse lookup when it is an IP
// address, lower-cased), as Hadoop's SecurityUtil.getServerPrincipal does.
func ServerPrincipal(pattern, addr string) (string, error) {
	if !strings.Contains(pattern, "_HOST") {
		return pattern, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); ip != nil {
		ctx, cancel := context.WithTimeout(context.Background(), reverseLookupTimeout)
		names, err := net.DefaultResolver.LookupAddr(ctx, host)
		cancel()
		if err != nil || len(names) == 0 {
			return "", fmt.Errorf("server principal %s: no host name for %s to put in place of _HOST (%v): name the server by its host name", pattern, host, err)
		}
		host = names[0]
	}
	return strings.Replace(pattern, "_HOST", strings.ToLower(strings.TrimSuffix(host, ".")), 1), nil
}
