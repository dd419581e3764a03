package sasl

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

func TestParseProtection(t *testing.T) {
	for in, want := range map[string][]QOP{
		"":                                 {QOPAuth},
		"privacy":                          {QOPAuthConf},
		"integrity, authentication":        {QOPAuthInt, QOPAuth},
		"privacy,integrity,authentication": {QOPAuthConf, QOPAuthInt, QOPAuth},
	} {
		got, err := ParseProtection(in)
		if err != nil || len(got) != len(want) {
			t.Errorf("ParseProtection(%q) = %v, %v; want %v", in, got, err, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ParseProtection(%q) = %v; want %v", in, got, want)
			}
		}
	}
	if _, err := ParseProtection("secret"); err == nil {
		t.Error("ParseProtection(secret): no error")
	}
}

// acceptor plays the server's side of RFC 4121 wrap tokens with the same
// key, so that the client's tokens are checked the way the acceptor reads
// them (the other key usage and direction flag).
type acceptor struct{ key types.EncryptionKey }

func (a acceptor) wrap(t *testing.T, p []byte, seal bool, rrc int) []byte {
	t.Helper()
	et, err := crypto.GetEtype(a.key.KeyType)
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte{0x05, 0x04, wrapSentByAcceptor, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}
	var body []byte
	if seal {
		hdr[2] |= wrapSealed
		_, ct, err := et.EncryptMessage(a.key.KeyValue, append(append([]byte(nil), p...), hdr...), keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		body = ct
	} else {
		sum, err := et.GetChecksumHash(a.key.KeyValue, append(append([]byte(nil), p...), hdr...), keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint16(hdr[4:], uint16(len(sum)))
		body = append(append([]byte(nil), p...), sum...)
	}
	// Rotate right by rrc, as a sender may (RFC 4121 §4.2.5).
	rrc %= len(body)
	body = append(append([]byte(nil), body[len(body)-rrc:]...), body[:len(body)-rrc]...)
	binary.BigEndian.PutUint16(hdr[6:], uint16(rrc))
	return append(hdr, body...)
}

func (a acceptor) unwrap(t *testing.T, token []byte) []byte {
	t.Helper()
	et, err := crypto.GetEtype(a.key.KeyType)
	if err != nil {
		t.Fatal(err)
	}
	if token[2]&wrapSentByAcceptor != 0 {
		t.Fatal("the client's token says it comes from the acceptor")
	}
	ec := int(binary.BigEndian.Uint16(token[4:]))
	body := token[wrapHeaderLen:]
	if token[2]&wrapSealed != 0 {
		pt, err := et.DecryptMessage(a.key.KeyValue, body, keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			t.Fatalf("the acceptor cannot decrypt the client's token: %v", err)
		}
		if !bytes.Equal(pt[len(pt)-wrapHeaderLen:], token[:wrapHeaderLen]) {
			t.Fatal("encrypted header differs")
		}
		return pt[:len(pt)-ec-wrapHeaderLen]
	}
	p, sum := body[:len(body)-ec], body[len(body)-ec:]
	hdr := append([]byte(nil), token[:wrapHeaderLen]...)
	binary.BigEndian.PutUint16(hdr[4:], 0)
	if !et.VerifyChecksum(a.key.KeyValue, append(append([]byte(nil), p...), hdr...), sum, keyusage.GSSAPI_INITIATOR_SEAL) {
		t.Fatal("the acceptor finds the client's checksum bad")
	}
	return p
}

func testKey(t *testing.T) types.EncryptionKey {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: k}
}

// TestGSSAPISecurityLayer: the client picks the first of its QOPs the
// server offers, answers with a wrapped choice the acceptor reads, and
// then wraps and unwraps messages with (auth-conf) and without
// (auth-int) confidentiality, whatever rotation the server applies.
func TestGSSAPISecurityLayer(t *testing.T) {
	key := testKey(t)
	a := acceptor{key}
	for _, tc := range []struct {
		offer byte
		qops  []QOP
		want  QOP
	}{
		{layerNone | layerIntegrity | layerConf, []QOP{QOPAuthConf, QOPAuthInt, QOPAuth}, QOPAuthConf},
		{layerNone | layerIntegrity | layerConf, []QOP{QOPAuthInt}, QOPAuthInt},
		{layerNone | layerIntegrity, []QOP{QOPAuthConf, QOPAuth}, QOPAuth},
	} {
		c := &GSSAPIClient{QOPs: tc.qops, key: key, step: 2}
		reply, err := c.Step(a.wrap(t, []byte{tc.offer, 0x01, 0x00, 0x00}, false, 0))
		if err != nil {
			t.Fatalf("offer %b, QOPs %v: %v", tc.offer, tc.qops, err)
		}
		choice := a.unwrap(t, reply)
		if c.QOP() != tc.want || len(choice) != 4 || choice[0] != qopLayer[tc.want] {
			t.Fatalf("offer %b, QOPs %v: chose %s (%x), want %s", tc.offer, tc.qops, c.QOP(), choice, tc.want)
		}
		if err := c.Finish(nil); err != nil {
			t.Fatal(err)
		}
		if c.MaxSend() <= 0 || c.MaxSend() > 0x10000 {
			t.Errorf("MaxSend %d for a server buffer of 64 KiB", c.MaxSend())
		}
		msg := []byte("a Hadoop RPC frame, protected")
		tok, err := c.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.unwrap(t, tok); !bytes.Equal(got, msg) {
			t.Errorf("%s: the acceptor unwrapped %q", tc.want, got)
		}
		if sealed := tok[2]&wrapSealed != 0; sealed != (tc.want == QOPAuthConf) || (sealed && bytes.Contains(tok, msg)) {
			t.Errorf("%s: token sealed %v, plaintext visible %v", tc.want, sealed, bytes.Contains(tok, msg))
		}
		for _, rrc := range []int{0, 12, 28} {
			got, err := c.Unwrap(a.wrap(t, msg, tc.want == QOPAuthConf, rrc))
			if err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%s, rrc %d: Unwrap = %q, %v", tc.want, rrc, got, err)
			}
		}
		bad := a.wrap(t, msg, tc.want == QOPAuthConf, 0)
		bad[len(bad)-1] ^= 1
		if _, err := c.Unwrap(bad); err == nil {
			t.Errorf("%s: a tampered token unwraps", tc.want)
		}
	}
	c := &GSSAPIClient{QOPs: []QOP{QOPAuthConf}, key: key, step: 2}
	if _, err := c.Step(a.wrap(t, []byte{layerNone, 0, 0, 0}, false, 0)); !errors.Is(err, ErrNoCommonQOP) {
		t.Errorf("privacy only against an auth-only server: %v, want ErrNoCommonQOP", err)
	}
}
