package ipc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/ipc/ipctest"
	"github.com/gostream/gostream/internal/hadoop/token"
)

const testProtocol = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"

// echo answers with the request's kind and service swapped in, and records
// the calls it saw.
type recorder struct {
	mu    sync.Mutex
	calls []*ipctest.Call
}

func (r *recorder) echo(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	var req hadooppb.TokenProto
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	return &hadooppb.TokenProto{Identifier: req.Identifier, Password: []byte("pw"), Kind: proto.String(req.GetService()), Service: proto.String(req.GetKind())}, nil
}

func tokReq(kind string) *hadooppb.TokenProto {
	return &hadooppb.TokenProto{Identifier: []byte(kind), Password: []byte{}, Kind: proto.String(kind), Service: proto.String("svc")}
}

func newClient(t *testing.T, addr string, mod func(*ipc.Options)) *ipc.Client {
	t.Helper()
	o := ipc.Options{Addrs: []string{addr}, Protocol: testProtocol, User: "alice", RetryBackoff: 10 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	c, err := ipc.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestCallAndHeaders(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{Protocol: testProtocol})
	var rec recorder
	srv.Handle("echo", rec.echo)
	c := newClient(t, srv.Addr, nil)
	var resp hadooppb.TokenProto
	if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("k"), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.GetKind() != "svc" || resp.GetService() != "k" {
		t.Fatalf("response %v", &resp)
	}
	got := rec.calls[0]
	if got.User != "alice" || got.Protocol != testProtocol || got.RetryCount != -1 || !bytes.Equal(got.ClientID, c.ClientID()) || len(got.ClientID) != 16 {
		t.Fatalf("call as received: %+v", got)
	}
}

func TestMultiplexedOutOfOrder(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	srv.Handle("sleep", func(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
		var req hadooppb.TokenProto
		_ = c.Decode(&req)
		d := time.Duration(len(req.GetIdentifier())) * time.Millisecond
		time.Sleep(50*time.Millisecond - d) // later calls answer first
		return &req, nil
	})
	c := newClient(t, srv.Addr, nil)
	ctx := ctxT(t, 10*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strings.Repeat("x", i)
			var resp hadooppb.TokenProto
			if err := c.Call(ctx, "sleep", &hadooppb.TokenProto{Identifier: []byte(id), Password: []byte{}, Kind: proto.String(""), Service: proto.String("")}, &resp); err != nil {
				errs <- err
				return
			}
			if string(resp.GetIdentifier()) != id {
				errs <- errors.New("response matched to the wrong call")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1 shared", n)
	}
}

func TestDeadline(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	release := make(chan struct{})
	srv.Handle("block", func(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return &hadooppb.TokenProto{}, nil
	})
	var rec recorder
	srv.Handle("echo", rec.echo)
	c := newClient(t, srv.Addr, nil)
	start := time.Now()
	err := c.Call(ctxT(t, 100*time.Millisecond), "block", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("deadline honoured late: %v", time.Since(start))
	}
	close(release)
	// The connection survives a caller that gave up.
	if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("b"), &hadooppb.TokenProto{}); err != nil {
		t.Fatal(err)
	}
	if srv.Accepted.Load() != 1 {
		t.Errorf("reconnected after a timeout")
	}
}

func TestRemoteErrors(t *testing.T) {
	const notFound = "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException"
	errNotFound := ipc.NewClassError(notFound)
	srv := ipctest.NewServer(t, ipctest.Options{})
	srv.Handle("missing", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return nil, &ipc.RemoteError{Class: notFound, Message: "Application with id 'application_1_0001' doesn't exist in RM.\n\tat org.apache.Foo(Foo.java:1)"}
	})
	srv.Handle("denied", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return nil, &ipc.RemoteError{Class: "org.apache.hadoop.security.AccessControlException", Message: "no"}
	})
	srv.Handle("fatal", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return nil, &ipc.RemoteError{Class: "java.io.IOException", Message: "boom", Fatal: true}
	})
	var rec recorder
	srv.Handle("echo", rec.echo)
	c := newClient(t, srv.Addr, nil)
	ctx := ctxT(t, 10*time.Second)

	err := c.Call(ctx, "missing", tokReq("a"), &hadooppb.TokenProto{})
	var re *ipc.RemoteError
	if !errors.As(err, &re) || re.Class != notFound || !errors.Is(err, errNotFound) || errors.Is(err, ipc.ErrAccessControl) {
		t.Fatalf("got %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "ApplicationNotFoundException: Application with id") || strings.Contains(msg, "Foo.java") {
		t.Errorf("message %q", msg)
	}
	err = c.Call(ctx, "denied", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.Is(err, ipc.ErrAccessControl) {
		t.Fatalf("got %v", err)
	}
	err = c.Call(ctx, "nosuch", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.Is(err, ipc.ErrNoSuchMethod) {
		t.Fatalf("got %v", err)
	}
	if srv.Accepted.Load() != 1 {
		t.Fatalf("ERROR responses must keep the connection")
	}
	err = c.Call(ctx, "fatal", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.As(err, &re) || !re.Fatal {
		t.Fatalf("got %v", err)
	}
	if err := c.Call(ctx, "echo", tokReq("a"), &hadooppb.TokenProto{}); err != nil {
		t.Fatal(err)
	}
	if srv.Accepted.Load() != 2 {
		t.Fatalf("a FATAL response must close the connection; %d accepted", srv.Accepted.Load())
	}
}

func TestReconnectKeepsClientID(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	var mu sync.Mutex
	first := true
	var ids [][]byte
	var retries []int32
	srv.Handle("flaky", func(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
		mu.Lock()
		ids = append(ids, c.ClientID)
		retries = append(retries, c.RetryCount)
		drop := first
		first = false
		mu.Unlock()
		if drop {
			srv.DropConnections() // the call dies with the connection
		}
		return &hadooppb.TokenProto{}, nil
	})
	block := make(chan struct{})
	srv.Handle("once", func(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
		<-block
		return &hadooppb.TokenProto{}, nil
	})
	c := newClient(t, srv.Addr, nil)
	ctx := ctxT(t, 10*time.Second)
	if err := c.Call(ctx, "flaky", tokReq("a"), &hadooppb.TokenProto{}, ipc.Idempotent()); err != nil {
		t.Fatalf("idempotent call not retried: %v (accepted %d, handshakes %d, calls %d)", err, srv.Accepted.Load(), srv.Handshakes.Load(), srv.Calls.Load())
	}
	if len(ids) != 2 || !bytes.Equal(ids[0], ids[1]) || retries[0] != -1 || retries[1] != 1 {
		t.Fatalf("client ids %x, retry counts %v", ids, retries)
	}

	// A call that is not idempotent fails with the connection.
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctx, "once", tokReq("a"), &hadooppb.TokenProto{}) }()
	for srv.Calls.Load() < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	srv.DropConnections()
	err := <-errc
	close(block)
	if !ipc.IsConnError(err) {
		t.Fatalf("got %v, want a connection error", err)
	}
	var rec recorder
	srv.Handle("echo", rec.echo)
	if err := c.Call(ctx, "echo", tokReq("a"), &hadooppb.TokenProto{}); err != nil {
		t.Fatalf("no reconnection: %v", err)
	}
}

func TestTokenAuth(t *testing.T) {
	tok := token.Token{Identifier: []byte("\x00\x01appattempt"), Password: []byte("secret-password"), Kind: token.KindAMRM, Service: "svc"}
	srv := ipctest.NewServer(t, ipctest.Options{Token: &tok})
	var rec recorder
	srv.Handle("echo", rec.echo)

	c := newClient(t, srv.Addr, func(o *ipc.Options) { o.Auth = ipc.TokenAuth{Token: tok}; o.User = "" })
	if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{}); err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(tok.Identifier); rec.calls[0].User != want {
		t.Errorf("server saw user %q, want the token's %q", rec.calls[0].User, want)
	}

	bad := tok
	bad.Password = []byte("wrong")
	c = newClient(t, srv.Addr, func(o *ipc.Options) { o.Auth = ipc.TokenAuth{Token: bad} })
	err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.Is(err, ipc.ErrInvalidToken) {
		t.Fatalf("wrong password: %v", err)
	}

	c = newClient(t, srv.Addr, nil) // no token for a token-only server
	err = c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{})
	if !errors.Is(err, ipc.ErrAccessControl) || !strings.Contains(err.Error(), "TOKEN") {
		t.Fatalf("no token: %v", err)
	}
}

// A server that refuses a connection answers with a fatal error and closes
// it, racing with the client's writes: the client reports the server's
// error, not a broken pipe, every time.
func TestRefusedConnectionReportsTheServersError(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{Token: &token.Token{Identifier: []byte("id"), Password: []byte("pw"), Kind: token.KindAMRM}})
	for i := range 30 {
		c := newClient(t, srv.Addr, func(o *ipc.Options) { o.MaxRetries = -1 })
		err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{})
		if !errors.Is(err, ipc.ErrAccessControl) {
			t.Fatalf("call %d without a token: %v, want the server's AccessControlException", i, err)
		}
	}
}

func TestTokenAuthAgainstSimpleServer(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	var rec recorder
	srv.Handle("echo", rec.echo)
	tok := token.Token{Identifier: []byte("id"), Password: []byte("pw")}
	c := newClient(t, srv.Addr, func(o *ipc.Options) { o.Auth = ipc.TokenAuth{Token: tok} })
	if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{}); err != nil {
		t.Fatal(err)
	}
	if rec.calls[0].User != "alice" {
		t.Errorf("user %q after switching to simple", rec.calls[0].User)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, addr, nil)
	start := time.Now()
	err = c.Call(ctxT(t, 700*time.Millisecond), "echo", tokReq("a"), &hadooppb.TokenProto{}, ipc.Idempotent())
	if err == nil || !strings.Contains(err.Error(), addr) || !ipc.IsConnError(err) {
		t.Fatalf("got %v; want a connection error naming %s", err, addr)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

// A server that accepts and never answers: the dial deadline must hold.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	c := newClient(t, ln.Addr().String(), func(o *ipc.Options) {
		o.Auth = ipc.TokenAuth{Token: token.Token{Identifier: []byte("x")}}
		o.DialTimeout = 200 * time.Millisecond
		o.MaxRetries = -1
	})
	start := time.Now()
	err = c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{})
	if !ipc.IsConnError(err) || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestPings(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	var rec recorder
	srv.Handle("echo", rec.echo)
	c := newClient(t, srv.Addr, func(o *ipc.Options) { o.PingInterval = 40 * time.Millisecond })
	if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Pings.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if srv.Pings.Load() < 2 {
		t.Fatalf("%d pings", srv.Pings.Load())
	}
}

func TestCloseFailsCallsAndLaterCalls(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	srv.Handle("block", func(ctx context.Context, c *ipctest.Call) (proto.Message, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c := newClient(t, srv.Addr, nil)
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctxT(t, 10*time.Second), "block", tokReq("a"), &hadooppb.TokenProto{}) }()
	for srv.Calls.Load() < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	if err := <-errc; !errors.Is(err, ipc.ErrClosed) {
		t.Fatalf("in-flight call: %v", err)
	}
	if err := c.Call(ctxT(t, time.Second), "block", tokReq("a"), &hadooppb.TokenProto{}); !errors.Is(err, ipc.ErrClosed) {
		t.Fatalf("later call: %v", err)
	}
}

// A server that completes the handshake and then sends garbage.
func TestGarbageResponse(t *testing.T) {
	for name, junk := range map[string][]byte{
		"huge length":   {0x7f, 0xff, 0xff, 0xff},
		"bad header":    {0, 0, 0, 3, 0xff, 0xff, 0xff},
		"short message": {0, 0, 0, 2, 0x05, 0x08},
		"eof":           {0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				buf := make([]byte, 4096)
				_, _ = c.Read(buf) // preamble + context (+ call)
				time.Sleep(50 * time.Millisecond)
				_, _ = c.Write(junk)
			}()
			c := newClient(t, ln.Addr().String(), func(o *ipc.Options) { o.MaxRetries = -1 })
			err = c.Call(ctxT(t, 3*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{})
			if err == nil {
				t.Fatal("garbage accepted")
			}
		})
	}
}

// Every goroutine a client starts (reader, pinger) ends with Close, also
// after reconnections.
func TestNoGoroutinesLeft(t *testing.T) {
	srv := ipctest.NewServer(t, ipctest.Options{})
	var rec recorder
	srv.Handle("echo", rec.echo)
	before := runtime.NumGoroutine()
	c := newClient(t, srv.Addr, func(o *ipc.Options) { o.PingInterval = 10 * time.Millisecond })
	for i := 0; i < 3; i++ {
		if err := c.Call(ctxT(t, 5*time.Second), "echo", tokReq("a"), &hadooppb.TokenProto{}, ipc.Idempotent()); err != nil {
			t.Fatal(err)
		}
		srv.DropConnections()
		time.Sleep(20 * time.Millisecond)
	}
	c.Close()
	srv.DropConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
