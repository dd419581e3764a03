package sasl

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MechDigestMD5 is the SASL mechanism name.
const MechDigestMD5 = "DIGEST-MD5"

// DefaultRealm is the realm Hadoop servers use for token authentication.
const DefaultRealm = "default"

// Errors of the DIGEST-MD5 exchange (wrapped with detail).
var (
	// ErrMalformed: the peer sent a message that does not parse.
	ErrMalformed = errors.New("sasl: malformed DIGEST-MD5 message")
	// ErrQOPUnsupported: the server insists on integrity or privacy.
	ErrQOPUnsupported = errors.New("sasl: server requires a quality of protection other than auth (hadoop.rpc.protection integrity/privacy is not supported)")
	// ErrAuthFailed: the credentials did not verify (server side), or the
	// server's rspauth did not (client side: the server does not know the
	// token's password).
	ErrAuthFailed = errors.New("sasl: DIGEST-MD5 authentication failed")
	// ErrState: a step was taken out of order.
	ErrState = errors.New("sasl: DIGEST-MD5 step out of order")
)

// TokenCredentials returns the SASL user name and password Hadoop derives
// from a token's identifier and password (standard base64 with padding).
func TokenCredentials(identifier, password []byte) (username, passwd string) {
	return base64.StdEncoding.EncodeToString(identifier), base64.StdEncoding.EncodeToString(password)
}

// DigestMD5Client is one client-side DIGEST-MD5 exchange. Use a new value per
// connection.
type DigestMD5Client struct {
	Username, Password string
	// AuthzID is the authorization id; empty (Hadoop sends none).
	AuthzID string
	// Protocol and ServerID form the digest-uri "Protocol/ServerID".
	Protocol, ServerID string
	// Rand is the source of the client nonce; nil means crypto/rand.
	Rand io.Reader

	step     int // 0: expecting the challenge; 1: expecting rspauth; 2: done
	expected string
}

// Step answers the server's digest-challenge with a digest-response.
func (c *DigestMD5Client) Step(challenge []byte) ([]byte, error) {
	if c.step != 0 {
		return nil, fmt.Errorf("%w: second challenge", ErrState)
	}
	fields, err := parseDirectives(string(challenge))
	if err != nil {
		return nil, err
	}
	nonce := fields.get("nonce")
	if nonce == "" {
		return nil, fmt.Errorf("%w: challenge has no nonce", ErrMalformed)
	}
	if alg := fields.get("algorithm"); alg != "" && !strings.EqualFold(alg, "md5-sess") {
		return nil, fmt.Errorf("%w: algorithm %q, want md5-sess", ErrMalformed, alg)
	}
	if qops := fields.get("qop"); qops != "" && !hasToken(qops, "auth") {
		return nil, fmt.Errorf("%w (server offers qop %q)", ErrQOPUnsupported, qops)
	}
	realm := fields.get("realm") // the first realm offered, as Hadoop's callback picks
	utf8 := strings.EqualFold(fields.get("charset"), "utf-8")

	rnd := c.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var raw [16]byte
	if _, err := io.ReadFull(rnd, raw[:]); err != nil {
		return nil, fmt.Errorf("sasl: client nonce: %w", err)
	}
	cnonce := base64.RawStdEncoding.EncodeToString(raw[:])
	const nc = "00000001"
	uri := c.Protocol + "/" + c.ServerID

	resp := digestResponse(c.Username, realm, c.Password, c.AuthzID, nonce, cnonce, nc, "AUTHENTICATE:"+uri)
	c.expected = digestResponse(c.Username, realm, c.Password, c.AuthzID, nonce, cnonce, nc, ":"+uri)

	var b strings.Builder
	if utf8 {
		b.WriteString("charset=utf-8,")
	}
	fmt.Fprintf(&b, "username=%s,", quote(c.Username))
	if realm != "" {
		fmt.Fprintf(&b, "realm=%s,", quote(realm))
	}
	fmt.Fprintf(&b, "nonce=%s,nc=%s,cnonce=%s,digest-uri=%s,maxbuf=65536,response=%s,qop=auth",
		quote(nonce), nc, quote(cnonce), quote(uri), resp)
	if c.AuthzID != "" {
		fmt.Fprintf(&b, ",authzid=%s", quote(c.AuthzID))
	}
	c.step = 1
	return []byte(b.String()), nil
}

// Verify checks the server's final message ("rspauth=..."), which proves the
// server knows the password too.
func (c *DigestMD5Client) Verify(final []byte) error {
	if c.step != 1 {
		return fmt.Errorf("%w: verify before the challenge", ErrState)
	}
	fields, err := parseDirectives(string(final))
	if err != nil {
		return err
	}
	got := fields.get("rspauth")
	if got == "" {
		return fmt.Errorf("%w: final message has no rspauth", ErrMalformed)
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(c.expected)) != 1 {
		return fmt.Errorf("%w: the server's rspauth does not match", ErrAuthFailed)
	}
	c.step = 2
	return nil
}

// Complete reports whether the exchange finished successfully.
func (c *DigestMD5Client) Complete() bool { return c.step == 2 }

// digestResponse computes the RFC 2831 response value for the given A2.
func digestResponse(user, realm, pass, authzid, nonce, cnonce, nc, a2 string) string {
	inner := md5.Sum([]byte(user + ":" + realm + ":" + pass))
	a1 := string(inner[:]) + ":" + nonce + ":" + cnonce
	if authzid != "" {
		a1 += ":" + authzid
	}
	ha1 := md5.Sum([]byte(a1))
	ha2 := md5.Sum([]byte(a2))
	kd := md5.Sum([]byte(hex.EncodeToString(ha1[:]) + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + hex.EncodeToString(ha2[:])))
	return hex.EncodeToString(kd[:])
}

// DigestMD5Server is one server-side DIGEST-MD5 exchange, as a Hadoop server
// runs it for token authentication.
type DigestMD5Server struct {
	// Realm is announced in the challenge; "" means DefaultRealm.
	Realm string
	// Protocol and ServerID form the expected digest-uri.
	Protocol, ServerID string
	// Password returns the password of a user name, or an error when the user
	// is unknown.
	Password func(username string) (string, error)
	// Rand is the nonce source; nil means crypto/rand.
	Rand io.Reader

	nonce    string
	username string
	done     bool
}

// Challenge returns the digest-challenge.
func (s *DigestMD5Server) Challenge() ([]byte, error) {
	rnd := s.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var raw [16]byte
	if _, err := io.ReadFull(rnd, raw[:]); err != nil {
		return nil, fmt.Errorf("sasl: server nonce: %w", err)
	}
	s.nonce = base64.RawStdEncoding.EncodeToString(raw[:])
	return fmt.Appendf(nil, "realm=%s,nonce=%s,qop=\"auth\",charset=utf-8,algorithm=md5-sess", quote(s.realm()), quote(s.nonce)), nil
}

func (s *DigestMD5Server) realm() string {
	if s.Realm == "" {
		return DefaultRealm
	}
	return s.Realm
}

// Respond verifies the client's digest-response and returns the final
// message carrying rspauth.
func (s *DigestMD5Server) Respond(response []byte) ([]byte, error) {
	if s.nonce == "" || s.done {
		return nil, fmt.Errorf("%w: response without a pending challenge", ErrState)
	}
	f, err := parseDirectives(string(response))
	if err != nil {
		return nil, err
	}
	user, nonce, cnonce, nc, uri := f.get("username"), f.get("nonce"), f.get("cnonce"), f.get("nc"), f.get("digest-uri")
	if user == "" || cnonce == "" || nc == "" {
		return nil, fmt.Errorf("%w: response lacks username, cnonce or nc", ErrMalformed)
	}
	if nonce != s.nonce {
		return nil, fmt.Errorf("%w: nonce mismatch", ErrAuthFailed)
	}
	if q := f.get("qop"); q != "" && q != "auth" {
		return nil, fmt.Errorf("%w: client asked for qop %q", ErrQOPUnsupported, q)
	}
	if want := s.Protocol + "/" + s.ServerID; uri != want {
		return nil, fmt.Errorf("%w: digest-uri %q, want %q", ErrAuthFailed, uri, want)
	}
	if r := f.get("realm"); r != s.realm() {
		return nil, fmt.Errorf("%w: realm %q, want %q", ErrAuthFailed, r, s.realm())
	}
	pass, err := s.Password(user)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthFailed, err)
	}
	authz := f.get("authzid")
	want := digestResponse(user, s.realm(), pass, authz, nonce, cnonce, nc, "AUTHENTICATE:"+uri)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(f.get("response"))), []byte(want)) != 1 {
		return nil, fmt.Errorf("%w: wrong password for %s", ErrAuthFailed, user)
	}
	s.username, s.done = user, true
	return []byte("rspauth=" + digestResponse(user, s.realm(), pass, authz, nonce, cnonce, nc, ":"+uri)), nil
}

// Username is the authenticated user name, once Respond succeeded.
func (s *DigestMD5Server) Username() string { return s.username }

// directives are the name=value pairs of a DIGEST-MD5 message; the first
// occurrence of a name wins.
type directives map[string]string

func (d directives) get(name string) string { return d[name] }

// parseDirectives parses `name=value` or `name="quoted value"` pairs
// separated by commas (RFC 2831 §7.1: #rule lists, optional whitespace).
func parseDirectives(s string) (directives, error) {
	d := directives{}
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == ',') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return d, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: directive %q has no value", ErrMalformed, s[start:i])
		}
		name := strings.ToLower(strings.TrimSpace(s[start:i]))
		i++ // '='
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				val.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated quoted value of %q", ErrMalformed, name)
			}
		} else {
			start := i
			for i < len(s) && s[i] != ',' {
				i++
			}
			val.WriteString(strings.TrimSpace(s[start:i]))
		}
		if name == "" {
			return nil, fmt.Errorf("%w: empty directive name", ErrMalformed)
		}
		if _, dup := d[name]; !dup {
			d[name] = val.String()
		}
	}
}

// hasToken reports whether the comma-separated list holds tok.
func hasToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
