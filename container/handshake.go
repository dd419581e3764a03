package container

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// The handshake opens both kinds of connection, to the driver's endpoint
// and to an executor's shuffle server: the accepting side sends a random
// challenge, the dialing side answers with a hello proving the application's
// secret (see proof), and the accepting side says ok or why not.

// acceptHandshake runs the accepting side; check, when set, vets the hello
// further (its error is sent back). It returns the dialing side's hello.
func acceptHandshake(lc *lineConn, secret string, timeout time.Duration, check func(hello message) error) (message, error) {
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return message{}, fmt.Errorf("handshake: %w", err)
	}
	if err := lc.send(message{Challenge: challenge}, timeout); err != nil {
		return message{}, fmt.Errorf("handshake: %w", err)
	}
	hello, err := lc.recv(timeout)
	if err != nil {
		return message{}, fmt.Errorf("handshake: %w", err)
	}
	if !hmac.Equal(hello.Proof, proof(secret, challenge)) {
		_ = lc.send(message{Error: "authentication failed: wrong application secret"}, timeout)
		return message{}, fmt.Errorf("%w: connection from %s refused", ErrAuth, lc.c.RemoteAddr())
	}
	if check != nil {
		if err := check(hello); err != nil {
			_ = lc.send(message{Error: err.Error(), Failure: failureOf(err)}, timeout)
			return message{}, fmt.Errorf("handshake with %s: %w", lc.c.RemoteAddr(), err)
		}
	}
	if err := lc.send(message{OK: true}, timeout); err != nil {
		return message{}, fmt.Errorf("handshake: %w", err)
	}
	return hello, nil
}

// dialHandshake runs the dialing side: hello (without its proof) says who
// connects. A refusal wraps ErrDeclaredLost when the driver declared this
// executor lost, else ErrAuth; anything else is the connection's failure.
func dialHandshake(lc *lineConn, secret string, timeout time.Duration, hello message) error {
	ch, err := lc.recv(timeout)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	hello.Proof = proof(secret, ch.Challenge)
	if err := lc.send(hello, timeout); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	reply, err := lc.recv(timeout)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if !reply.OK {
		if refusal := (&remoteError{msg: reply.Error, failure: reply.Failure}); errors.Is(refusal, ErrDeclaredLost) {
			return fmt.Errorf("%s refused the connection: %w", lc.c.RemoteAddr(), refusal)
		}
		return fmt.Errorf("%s refused the connection: %s (%w)", lc.c.RemoteAddr(), reply.Error, ErrAuth)
	}
	return nil
}
