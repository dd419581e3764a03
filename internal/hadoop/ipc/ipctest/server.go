// Package ipctest is an in-process Hadoop IPC server for tests: it speaks the
// same framing as a Hadoop server (preamble, optional SASL with SIMPLE or
// TOKEN/DIGEST-MD5, connection context, multiplexed calls answered in any
// order, pings, ERROR and FATAL responses), and dispatches calls by method
// name to handlers. It stands in for a ResourceManager or NodeManager in unit
// tests; integration tests use the real ones.
package ipctest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/sasl"
	"github.com/gostream/gostream/internal/hadoop/token"
)

// Call is one request as the server received it.
type Call struct {
	Method, Protocol string
	// User is the connection's user: the effective user of the connection
	// context, or the token's SASL user name with token auth.
	User       string
	ClientID   []byte
	CallID     int32
	RetryCount int32
	Body       []byte
}

// Decode unmarshals the request message.
func (c *Call) Decode(m proto.Message) error { return proto.Unmarshal(c.Body, m) }

// Handler answers a call: a response message, or an error. A *ipc.RemoteError
// is sent as the exception (status FATAL, closing the connection, when its
// Fatal is set); any other error as a generic IOException.
type Handler func(ctx context.Context, call *Call) (proto.Message, error)

// Options configure a Server.
type Options struct {
	// Token, when set, makes the server demand SASL TOKEN (DIGEST-MD5)
	// authentication with this token, like YARN's scheduler and NodeManager
	// ports do; otherwise it accepts auth protocol "none" and SASL SIMPLE.
	Token *token.Token
	// Protocol, when set, is the protocol name the server accepts.
	Protocol string
}

// Server is the fake server. Its zero value is not usable: call NewServer.
type Server struct {
	Addr string

	opts Options
	ln   net.Listener
	ctx  context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	handlers map[string]Handler
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup

	// Counters, for assertions.
	Accepted   atomic.Int64 // connections accepted
	Handshakes atomic.Int64 // connections that completed the handshake
	Pings      atomic.Int64
	Calls      atomic.Int64
}

// NewServer starts a server on 127.0.0.1 and stops it when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ipctest: listen: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{Addr: ln.Addr().String(), opts: opts, ln: ln, ctx: ctx, stop: stop,
		handlers: map[string]Handler{}, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

// Handle registers the handler of a method.
func (s *Server) Handle(method string, h Handler) {
	s.mu.Lock()
	s.handlers[method] = h
	s.mu.Unlock()
}

// DropConnections closes every open connection (the listener stays), as a
// server restart or network failure would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.stop()
	s.ln.Close()
	s.DropConnections()
	s.wg.Wait()
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.Accepted.Add(1)
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			_ = s.serve(c)
		}()
	}
}

// sconn is the server side of one connection.
type sconn struct {
	c   net.Conn
	wmu sync.Mutex
}

func (sc *sconn) send(msgs ...proto.Message) error {
	b := make([]byte, 4)
	for _, m := range msgs {
		data, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
		if err != nil {
			return err
		}
		b = protowire.AppendVarint(b, uint64(len(data)))
		b = append(b, data...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, err := sc.c.Write(b)
	return err
}

func (sc *sconn) sendError(callID int32, re *ipc.RemoteError) error {
	status := hadooppb.RpcResponseHeaderProto_ERROR
	code := hadooppb.RpcResponseHeaderProto_ERROR_APPLICATION
	if re.Fatal {
		status = hadooppb.RpcResponseHeaderProto_FATAL
		code = hadooppb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED
	}
	if re.Code != 0 {
		code = re.Code
	}
	return sc.send(&hadooppb.RpcResponseHeaderProto{
		CallId: proto.Uint32(uint32(callID)), Status: status.Enum(), ServerIpcVersionNum: proto.Uint32(9),
		ExceptionClassName: proto.String(re.Class), ErrorMsg: proto.String(re.Message), ErrorDetail: code.Enum(),
	})
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 64<<20 {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

// split returns the delimited messages of a frame.
func split(frame []byte) ([][]byte, error) {
	var out [][]byte
	for len(frame) > 0 {
		n, k := protowire.ConsumeVarint(frame)
		if k < 0 || n > uint64(len(frame)-k) {
			return nil, errors.New("bad delimited message")
		}
		out = append(out, frame[k:k+int(n)])
		frame = frame[k+int(n):]
	}
	return out, nil
}

func (s *Server) serve(c net.Conn) error {
	sc := &sconn{c: c}
	pre := make([]byte, 7)
	if _, err := io.ReadFull(c, pre); err != nil {
		return err
	}
	if string(pre[:4]) != ipc.Preamble || pre[4] != ipc.Version {
		return fmt.Errorf("bad preamble % x", pre)
	}
	user := ""
	tokenAuth := false
	switch pre[6] {
	case ipc.AuthNone:
		if s.opts.Token != nil {
			return sc.sendError(-1, &ipc.RemoteError{Fatal: true, Class: "org.apache.hadoop.security.AccessControlException",
				Message: "SIMPLE authentication is not enabled.  Available:[TOKEN]"})
		}
	case ipc.AuthSASL:
		u, err := s.saslServe(sc)
		if err != nil {
			return err
		}
		user, tokenAuth = u, u != ""
	default:
		return fmt.Errorf("bad auth protocol %#x", pre[6])
	}

	// Connection context.
	frame, err := readFrame(c)
	if err != nil {
		return err
	}
	parts, err := split(frame)
	if err != nil || len(parts) != 2 {
		return fmt.Errorf("bad connection context frame: %v", err)
	}
	var h hadooppb.RpcRequestHeaderProto
	var cc hadooppb.IpcConnectionContextProto
	if err := proto.Unmarshal(parts[0], &h); err != nil || h.GetCallId() != ipc.CallIDConnectionContext {
		return fmt.Errorf("want the connection context, got call %d (%v)", h.GetCallId(), err)
	}
	if err := proto.Unmarshal(parts[1], &cc); err != nil {
		return err
	}
	if tokenAuth && cc.GetUserInfo().GetEffectiveUser() != "" && cc.GetUserInfo().GetEffectiveUser() != user {
		return sc.sendError(-1, &ipc.RemoteError{Fatal: true, Class: "org.apache.hadoop.security.AccessControlException",
			Message: fmt.Sprintf("Authenticated user (%s) doesn't match what the client claims to be (%s)", user, cc.GetUserInfo().GetEffectiveUser())})
	}
	if !tokenAuth {
		user = cc.GetUserInfo().GetEffectiveUser()
	}
	if s.opts.Protocol != "" && cc.GetProtocol() != s.opts.Protocol {
		return sc.sendError(-1, &ipc.RemoteError{Fatal: true, Class: "org.apache.hadoop.ipc.RpcNoSuchProtocolException",
			Message: "Unknown protocol: " + cc.GetProtocol()})
	}
	s.Handshakes.Add(1)

	var calls sync.WaitGroup
	defer calls.Wait()
	for {
		frame, err := readFrame(c)
		if err != nil {
			return err
		}
		parts, err := split(frame)
		if err != nil || len(parts) == 0 {
			return fmt.Errorf("bad frame: %v", err)
		}
		var h hadooppb.RpcRequestHeaderProto
		if err := proto.Unmarshal(parts[0], &h); err != nil {
			return err
		}
		id := h.GetCallId()
		if id == ipc.CallIDPing {
			s.Pings.Add(1)
			continue
		}
		if len(parts) != 3 {
			return fmt.Errorf("call frame with %d parts", len(parts))
		}
		var rh hadooppb.RequestHeaderProto
		if err := proto.Unmarshal(parts[1], &rh); err != nil {
			return err
		}
		call := &Call{Method: rh.GetMethodName(), Protocol: rh.GetDeclaringClassProtocolName(), User: user,
			ClientID: bytes.Clone(h.GetClientId()), CallID: id, RetryCount: h.GetRetryCount(), Body: parts[2]}
		s.Calls.Add(1)
		s.mu.Lock()
		handler := s.handlers[call.Method]
		s.mu.Unlock()
		calls.Add(1)
		go func() { // answered concurrently, so responses may come out of order
			defer calls.Done()
			if handler == nil {
				_ = sc.sendError(id, &ipc.RemoteError{Class: "org.apache.hadoop.ipc.RpcNoSuchMethodException",
					Message: "Unknown method " + call.Method + " called on " + call.Protocol, Code: hadooppb.RpcResponseHeaderProto_ERROR_NO_SUCH_METHOD})
				return
			}
			resp, err := handler(s.ctx, call)
			if err != nil {
				var re *ipc.RemoteError
				if !errors.As(err, &re) {
					re = &ipc.RemoteError{Class: "java.io.IOException", Message: err.Error()}
				}
				_ = sc.sendError(id, re)
				if re.Fatal {
					c.Close()
				}
				return
			}
			_ = sc.send(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(id)),
				Status: hadooppb.RpcResponseHeaderProto_SUCCESS.Enum(), ServerIpcVersionNum: proto.Uint32(9)}, resp)
		}()
	}
}

// saslServe runs the server side of SASL; it returns the token user name
// ("" for SIMPLE).
func (s *Server) saslServe(sc *sconn) (string, error) {
	read := func() (*hadooppb.RpcSaslProto, error) {
		frame, err := readFrame(sc.c)
		if err != nil {
			return nil, err
		}
		parts, err := split(frame)
		if err != nil || len(parts) != 2 {
			return nil, fmt.Errorf("bad SASL frame: %v", err)
		}
		var h hadooppb.RpcRequestHeaderProto
		if err := proto.Unmarshal(parts[0], &h); err != nil || h.GetCallId() != ipc.CallIDSASL {
			return nil, fmt.Errorf("want a SASL frame, got call %d", h.GetCallId())
		}
		var m hadooppb.RpcSaslProto
		return &m, proto.Unmarshal(parts[1], &m)
	}
	reply := func(m *hadooppb.RpcSaslProto) error {
		return sc.send(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(saslCallID()),
			Status: hadooppb.RpcResponseHeaderProto_SUCCESS.Enum()}, m)
	}
	fail := func(err error) (string, error) {
		_ = sc.sendError(ipc.CallIDSASL, &ipc.RemoteError{Fatal: true,
			Class: "javax.security.sasl.SaslException", Message: err.Error()})
		return "", err
	}
	m, err := read()
	if err != nil {
		return "", err
	}
	if m.GetState() != hadooppb.RpcSaslProto_NEGOTIATE {
		return fail(fmt.Errorf("want NEGOTIATE, got %v", m.GetState()))
	}
	if s.opts.Token == nil {
		// A simple-only server answers NEGOTIATE with SUCCESS.
		return "", reply(&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_SUCCESS.Enum()})
	}
	wantUser, wantPass := sasl.TokenCredentials(s.opts.Token.Identifier, s.opts.Token.Password)
	srv := &sasl.DigestMD5Server{ServerID: sasl.DefaultRealm, Password: func(u string) (string, error) {
		if u != wantUser {
			return "", errors.New("unknown token")
		}
		return wantPass, nil
	}}
	challenge, err := srv.Challenge()
	if err != nil {
		return fail(err)
	}
	// Like Hadoop, send the first challenge with the offer.
	if err := reply(&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_NEGOTIATE.Enum(), Auths: []*hadooppb.RpcSaslProto_SaslAuth{{
		Method: proto.String(ipc.MethodToken), Mechanism: proto.String(sasl.MechDigestMD5),
		Protocol: proto.String(""), ServerId: proto.String(sasl.DefaultRealm), Challenge: challenge,
	}}}); err != nil {
		return "", err
	}
	m, err = read()
	if err != nil {
		return "", err
	}
	if m.GetState() != hadooppb.RpcSaslProto_INITIATE || len(m.GetAuths()) != 1 || m.GetAuths()[0].GetMethod() != ipc.MethodToken {
		return fail(fmt.Errorf("want INITIATE with TOKEN, got %v", m))
	}
	final, err := srv.Respond(m.GetToken())
	if err != nil {
		_ = sc.sendError(ipc.CallIDSASL, &ipc.RemoteError{Fatal: true,
			Class: "org.apache.hadoop.security.token.SecretManager$InvalidToken", Message: err.Error()})
		return "", err
	}
	return srv.Username(), reply(&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_SUCCESS.Enum(), Token: final})
}

// saslCallID is ipc.CallIDSASL as it travels (uint32 two's complement).
func saslCallID() uint32 { id := ipc.CallIDSASL; return uint32(id) }
