package sasl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The worked example of RFC 2831 §4.
func TestDigestResponseRFC2831Example(t *testing.T) {
	const (
		user, realm, pass = "chris", "elwood.innosoft.com", "secret"
		nonce, cnonce, nc = "OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "00000001"
		uri               = "imap/elwood.innosoft.com"
	)
	if got := digestResponse(user, realm, pass, "", nonce, cnonce, nc, "AUTHENTICATE:"+uri); got != "d388dad90d4bbd760a152321f2143af7" {
		t.Errorf("response = %s", got)
	}
	if got := digestResponse(user, realm, pass, "", nonce, cnonce, nc, ":"+uri); got != "ea40f60335c427b5527b84dbabcdfffd" {
		t.Errorf("rspauth = %s", got)
	}
}

func exchange(t *testing.T, clientPass, serverPass string) error {
	t.Helper()
	user, _ := TokenCredentials([]byte("ident\x00\x01"), []byte("pw"))
	srv := &DigestMD5Server{ServerID: DefaultRealm, Password: func(u string) (string, error) {
		if u != user {
			return "", fmt.Errorf("unknown user %q", u)
		}
		return serverPass, nil
	}}
	cl := &DigestMD5Client{Username: user, Password: clientPass, ServerID: DefaultRealm}
	ch, err := srv.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Step(ch)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp), `digest-uri="/default"`) || !strings.Contains(string(resp), `realm="default"`) {
		t.Errorf("response %s lacks Hadoop's digest-uri or realm", resp)
	}
	final, err := srv.Respond(resp)
	if err != nil {
		return err
	}
	if srv.Username() != user {
		t.Errorf("server user %q", srv.Username())
	}
	if err := cl.Verify(final); err != nil {
		return err
	}
	if !cl.Complete() {
		t.Error("client not complete")
	}
	return nil
}

func TestDigestMD5RoundTrip(t *testing.T) {
	if err := exchange(t, "c2VjcmV0", "c2VjcmV0"); err != nil {
		t.Fatal(err)
	}
	if err := exchange(t, "wrong", "c2VjcmV0"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v, want ErrAuthFailed", err)
	}
}

func TestClientRejectsBadRspauth(t *testing.T) {
	cl := &DigestMD5Client{Username: "u", Password: "p", ServerID: DefaultRealm}
	if _, err := cl.Step([]byte(`realm="default",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess`)); err != nil {
		t.Fatal(err)
	}
	if err := cl.Verify([]byte("rspauth=00000000000000000000000000000000")); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("got %v", err)
	}
}

func TestClientChallengeErrors(t *testing.T) {
	for _, tc := range []struct {
		challenge string
		want      error
	}{
		{`realm="default",qop="auth"`, ErrMalformed},
		{`nonce="x",qop="auth-conf"`, ErrQOPUnsupported},
		{`nonce="x,qop=auth`, ErrMalformed},
		{`nonce`, ErrMalformed},
		{`nonce="x",algorithm=md5`, ErrMalformed},
	} {
		cl := &DigestMD5Client{Username: "u", Password: "p"}
		if _, err := cl.Step([]byte(tc.challenge)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.challenge, err, tc.want)
		}
	}
}

func TestParseDirectives(t *testing.T) {
	d, err := parseDirectives(` realm="a\"b", nonce=xyz ,qop="auth,auth-int", realm="second"`)
	if err != nil {
		t.Fatal(err)
	}
	if d.get("realm") != `a"b` || d.get("nonce") != "xyz" || d.get("qop") != "auth,auth-int" {
		t.Fatalf("%q", d)
	}
}

func FuzzParseDirectives(f *testing.F) {
	f.Add(`realm="default",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess`)
	f.Add(`rspauth=0123`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseDirectives(s)
		cl := &DigestMD5Client{Username: "u", Password: "p"}
		_, _ = cl.Step([]byte(s))
		_ = cl.Verify([]byte(s))
	})
}
