package sasl

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MechGSSAPI is the SASL name of Kerberos V5 through GSS-API (RFC 4752).
const MechGSSAPI = "GSSAPI"

// QOP is a SASL quality of protection.
type QOP string

// The QOPs, and the names Hadoop's hadoop.rpc.protection gives them.
const (
	QOPAuth     QOP = "auth"      // authentication
	QOPAuthInt  QOP = "auth-int"  // integrity
	QOPAuthConf QOP = "auth-conf" // privacy
)

// ParseProtection turns hadoop.rpc.protection (a comma-separated list of
// authentication, integrity, privacy) into QOPs in the same order of
// preference; "" is authentication.
func ParseProtection(v string) ([]QOP, error) {
	var qops []QOP
	for f := range strings.SplitSeq(v, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "authentication":
			qops = append(qops, QOPAuth)
		case "integrity":
			qops = append(qops, QOPAuthInt)
		case "privacy":
			qops = append(qops, QOPAuthConf)
		case "":
		default:
			return nil, fmt.Errorf("unknown protection %q: want authentication, integrity or privacy", strings.TrimSpace(f))
		}
	}
	if len(qops) == 0 {
		qops = []QOP{QOPAuth}
	}
	return qops, nil
}

// Security layer bits of the GSSAPI mechanism's negotiation (RFC 4752 §3.3).
const (
	layerNone      = 1
	layerIntegrity = 2
	layerConf      = 4
)

var qopLayer = map[QOP]byte{QOPAuth: layerNone, QOPAuthInt: layerIntegrity, QOPAuthConf: layerConf}

// ourMaxBuffer is the largest wrapped message we accept (the 3-byte maximum).
const ourMaxBuffer = 0xFFFFFF

// ErrNoCommonQOP is returned when the server offers none of the client's QOPs.
var ErrNoCommonQOP = errors.New("no quality of protection in common with the server")

// GSSAPIClient is the client side of SASL GSSAPI with Kerberos V5: an
// AP-REQ for the service, the server's AP-REP checked (mutual
// authentication), then the security layer negotiated; with auth-int or
// auth-conf, Wrap and Unwrap protect every later message (RFC 4121 wrap
// tokens).
type GSSAPIClient struct {
	// Client is a logged-in Kerberos client.
	Client *krbclient.Client
	// SPN is the service principal, e.g. nn/host.example.com (the realm is
	// the client's unless given with @REALM).
	SPN string
	// QOPs are the acceptable protections, most preferred first.
	QOPs []QOP

	step     int
	auth     types.Authenticator
	key      types.EncryptionKey // the session key, or the acceptor's subkey
	subkey   bool                // key is the acceptor's subkey
	sendSeq  uint64
	qop      QOP
	maxSend  int
	complete bool
}

// Step answers the server's challenge (nil: the initial response).
func (c *GSSAPIClient) Step(challenge []byte) ([]byte, error) {
	switch c.step {
	case 0:
		c.step++
		return c.initial()
	case 1:
		c.step++
		if err := c.checkAPRep(challenge); err != nil {
			return nil, err
		}
		return []byte{}, nil
	case 2:
		c.step++
		return c.chooseLayer(challenge)
	default:
		return nil, fmt.Errorf("GSSAPI: unexpected challenge after the exchange")
	}
}

// Finish checks the end of the exchange (Hadoop's SUCCESS carries no token).
func (c *GSSAPIClient) Finish(token []byte) error {
	if !c.complete {
		return fmt.Errorf("GSSAPI: the server reported success before the security layer was negotiated")
	}
	if len(token) != 0 {
		return fmt.Errorf("GSSAPI: unexpected token with the server's success")
	}
	return nil
}

// QOP is the negotiated protection ("" before the exchange ends).
func (c *GSSAPIClient) QOP() QOP { return c.qop }

// MaxSend is the most plaintext one Wrap may carry.
func (c *GSSAPIClient) MaxSend() int { return c.maxSend }

func (c *GSSAPIClient) initial() ([]byte, error) {
	if c.Client == nil || c.Client.Credentials == nil {
		return nil, errors.New("GSSAPI: no Kerberos login")
	}
	// gokrb5 takes the service's name without its realm (the client's).
	name, _, _ := strings.Cut(c.SPN, "@")
	tkt, key, err := c.Client.GetServiceTicket(name)
	if err != nil {
		return nil, fmt.Errorf("GSSAPI: a service ticket for %s: %w", c.SPN, err)
	}
	c.key = key
	auth, err := types.NewAuthenticator(c.Client.Credentials.Domain(), c.Client.Credentials.CName())
	if err != nil {
		return nil, fmt.Errorf("GSSAPI: %w", err)
	}
	// RFC 4121 §4.1.1: the checksum carries the context flags.
	ck := make([]byte, 24)
	binary.LittleEndian.PutUint32(ck[0:], 16)
	binary.LittleEndian.PutUint32(ck[20:], gssapi.ContextFlagMutual|gssapi.ContextFlagInteg|gssapi.ContextFlagConf)
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: ck}
	c.auth = auth
	c.sendSeq = uint64(auth.SeqNumber)
	req, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, fmt.Errorf("GSSAPI: AP-REQ: %w", err)
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("GSSAPI: AP-REQ: %w", err)
	}
	// RFC 2743 §3.1 initial context token: [APPLICATION 0] { mech OID, token }.
	oid, err := asn1.Marshal(asn1.ObjectIdentifier(gssapi.OIDKRB5.OID()))
	if err != nil {
		return nil, err
	}
	inner := append(append(oid, 0x01, 0x00), body...)
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: inner})
}

func (c *GSSAPIClient) checkAPRep(token []byte) error {
	var t spnego.KRB5Token
	if err := t.Unmarshal(token); err != nil {
		return fmt.Errorf("GSSAPI: the server's reply: %w", err)
	}
	if t.IsKRBError() {
		return fmt.Errorf("GSSAPI: the server refused the ticket for %s: %s", c.SPN, t.KRBError.Error())
	}
	if !t.IsAPRep() {
		return fmt.Errorf("GSSAPI: the server's reply is not an AP-REP (mutual authentication failed)")
	}
	b, err := crypto.DecryptEncPart(t.APRep.EncPart, c.key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("GSSAPI: the server's AP-REP does not decrypt with our session key (not %s?): %w", c.SPN, err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(b); err != nil {
		return fmt.Errorf("GSSAPI: AP-REP: %w", err)
	}
	if !part.CTime.Truncate(time.Second).Equal(c.auth.CTime.Truncate(time.Second)) || part.Cusec != c.auth.Cusec {
		return fmt.Errorf("GSSAPI: the server's AP-REP does not answer our authenticator (mutual authentication failed)")
	}
	if len(part.Subkey.KeyValue) > 0 {
		c.key, c.subkey = part.Subkey, true
	}
	return nil
}

// chooseLayer unwraps the server's offer (layers, maximum buffer) and
// answers with the most preferred QOP it offers.
func (c *GSSAPIClient) chooseLayer(token []byte) ([]byte, error) {
	offer, err := c.unwrap(token)
	if err != nil {
		return nil, fmt.Errorf("GSSAPI: the server's security layer offer: %w", err)
	}
	if len(offer) != 4 {
		return nil, fmt.Errorf("GSSAPI: the server's security layer offer has %d bytes, want 4", len(offer))
	}
	var offered []string
	for _, q := range []QOP{QOPAuth, QOPAuthInt, QOPAuthConf} {
		if offer[0]&qopLayer[q] != 0 {
			offered = append(offered, string(q))
		}
	}
	for _, q := range c.QOPs {
		if offer[0]&qopLayer[q] == 0 {
			continue
		}
		c.qop = q
		serverMax := int(offer[1])<<16 | int(offer[2])<<8 | int(offer[3])
		c.maxSend = serverMax - 64 // room for the token's header, confounder and checksum
		if serverMax == 0 || c.maxSend <= 0 {
			c.maxSend = 64 << 10
		}
		reply := []byte{qopLayer[q], 0, 0, 0}
		putUint24(reply[1:], ourMaxBuffer)
		c.complete = true
		return c.wrap(reply, false)
	}
	return nil, fmt.Errorf("GSSAPI: %w: the server offers [%s], the client accepts %v (hadoop.rpc.protection)", ErrNoCommonQOP, strings.Join(offered, ", "), c.QOPs)
}

// Wrap protects one message for the server (integrity, with auth-conf
// also confidentiality).
func (c *GSSAPIClient) Wrap(p []byte) ([]byte, error) { return c.wrap(p, c.qop == QOPAuthConf) }

// Unwrap checks (and with auth-conf decrypts) one message of the server.
func (c *GSSAPIClient) Unwrap(token []byte) ([]byte, error) { return c.unwrap(token) }

// RFC 4121 §4.2.6.2 wrap token flags.
const (
	wrapSentByAcceptor = 1
	wrapSealed         = 2
	wrapAcceptorSubkey = 4
	wrapHeaderLen      = 16
)

func (c *GSSAPIClient) wrap(p []byte, seal bool) ([]byte, error) {
	et, err := crypto.GetEtype(c.key.KeyType)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, wrapHeaderLen)
	hdr[0], hdr[1] = 0x05, 0x04
	if seal {
		hdr[2] |= wrapSealed
	}
	if c.subkey {
		hdr[2] |= wrapAcceptorSubkey
	}
	hdr[3] = 0xFF
	binary.BigEndian.PutUint64(hdr[8:], c.sendSeq)
	c.sendSeq++
	if seal {
		// {plaintext | filler (EC = 0) | header}, encrypted; RRC 0.
		_, ct, err := et.EncryptMessage(c.key.KeyValue, append(append([]byte(nil), p...), hdr...), keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			return nil, err
		}
		return append(hdr, ct...), nil
	}
	// {header | plaintext | checksum over plaintext and header (EC, RRC 0)}.
	sum, err := et.GetChecksumHash(c.key.KeyValue, append(append([]byte(nil), p...), hdr...), keyusage.GSSAPI_INITIATOR_SEAL)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(hdr[4:], uint16(len(sum)))
	return append(append(hdr, p...), sum...), nil
}

func (c *GSSAPIClient) unwrap(token []byte) ([]byte, error) {
	if len(token) < wrapHeaderLen || token[0] != 0x05 || token[1] != 0x04 || token[3] != 0xFF {
		return nil, errors.New("not a GSS-API wrap token")
	}
	fl := token[2]
	if fl&wrapSentByAcceptor == 0 {
		return nil, errors.New("wrap token not sent by the acceptor")
	}
	key := c.key
	if fl&wrapAcceptorSubkey != 0 && !c.subkey {
		return nil, errors.New("wrap token under an acceptor subkey the AP-REP did not give")
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	ec := int(binary.BigEndian.Uint16(token[4:]))
	rrc := int(binary.BigEndian.Uint16(token[6:]))
	body := rotateLeft(token[wrapHeaderLen:], rrc)
	if fl&wrapSealed != 0 {
		pt, err := et.DecryptMessage(key.KeyValue, body, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			return nil, fmt.Errorf("wrap token: %w", err)
		}
		if len(pt) < ec+wrapHeaderLen {
			return nil, errors.New("wrap token: short plaintext")
		}
		inner := pt[len(pt)-wrapHeaderLen:]
		outer := append([]byte(nil), token[:wrapHeaderLen]...)
		binary.BigEndian.PutUint16(outer[6:], 0)
		if string(inner) != string(outer) {
			return nil, errors.New("wrap token: the encrypted header does not match")
		}
		return pt[:len(pt)-ec-wrapHeaderLen], nil
	}
	if len(body) < ec {
		return nil, errors.New("wrap token: shorter than its checksum")
	}
	p, sum := body[:len(body)-ec], body[len(body)-ec:]
	hdr := append([]byte(nil), token[:wrapHeaderLen]...)
	binary.BigEndian.PutUint16(hdr[4:], 0)
	binary.BigEndian.PutUint16(hdr[6:], 0)
	if !et.VerifyChecksum(key.KeyValue, append(append([]byte(nil), p...), hdr...), sum, keyusage.GSSAPI_ACCEPTOR_SEAL) {
		return nil, errors.New("wrap token: bad checksum")
	}
	return p, nil
}

func putUint24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

// rotateLeft undoes a sender's right rotation of n bytes (RFC 4121 §4.2.5).
func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	if n == 0 {
		return b
	}
	return append(append([]byte(nil), b[n:]...), b[:n]...)
}
