package ipc

import (
	"fmt"

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
}

// Authenticator authenticates a connection with SASL. A Client without one
// uses auth protocol "none" and names its user in the connection context,
// which servers accept when hadoop.security.authentication is simple and the
// protocol does not insist on tokens.
//
// TokenAuth implements it for Hadoop tokens (DIGEST-MD5); a Kerberos
// implementation (GSSAPI, e.g. on gokrb5) fits the same interface.
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
