package container

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// message is one line of the executor protocol (see the package doc).
type message struct {
	Challenge  []byte `json:"challenge,omitempty"`
	Proof      []byte `json:"proof,omitempty"`
	ExecutorID string `json:"executor_id,omitempty"`
	Host       string `json:"host,omitempty"`
	Cores      int    `json:"cores,omitempty"`
	PID        int    `json:"pid,omitempty"`
	OK         bool   `json:"ok,omitempty"`
	Error      string `json:"error,omitempty"`
	Heartbeat  int64  `json:"heartbeat,omitempty"`
	Ack        int64  `json:"ack,omitempty"`
}

// ErrAuth: the executor could not prove the application's secret.
var ErrAuth = errors.New("executor authentication failed")

// maxLine bounds one protocol line.
const maxLine = 64 << 10

// lineConn reads and writes protocol lines with deadlines.
type lineConn struct {
	c net.Conn
	r *bufio.Scanner
}

func newLineConn(c net.Conn) *lineConn {
	s := bufio.NewScanner(c)
	s.Buffer(make([]byte, 4096), maxLine)
	return &lineConn{c: c, r: s}
}

func (l *lineConn) send(m message, timeout time.Duration) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_ = l.c.SetWriteDeadline(time.Now().Add(timeout))
	_, err = l.c.Write(append(b, '\n'))
	return err
}

func (l *lineConn) recv(timeout time.Duration) (message, error) {
	_ = l.c.SetReadDeadline(time.Now().Add(timeout))
	if !l.r.Scan() {
		if err := l.r.Err(); err != nil {
			return message{}, err
		}
		return message{}, fmt.Errorf("connection closed by %s", l.c.RemoteAddr())
	}
	var m message
	if err := json.Unmarshal(l.r.Bytes(), &m); err != nil {
		return message{}, fmt.Errorf("bad message from %s: %w", l.c.RemoteAddr(), err)
	}
	return m, nil
}

// proof is HMAC-SHA256(secret, challenge).
func proof(secret string, challenge []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(challenge)
	return h.Sum(nil)
}
