package ipc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// Options configure a Client. Addrs, Protocol and User are required.
type Options struct {
	// Addrs are the server's host:port addresses; more than one means HA:
	// the client fails over to the next on connection failure or
	// StandbyException.
	Addrs []string
	// Protocol is the Java protocol name, e.g.
	// org.apache.hadoop.yarn.api.ApplicationClientProtocolPB.
	Protocol string
	// User is the effective user named in the connection context.
	User string
	// Auth authenticates with SASL; nil uses auth protocol "none".
	Auth Authenticator

	// DialTimeout bounds connecting and the handshake (default 10 s).
	DialTimeout time.Duration
	// CallTimeout bounds calls whose context has no deadline (default 2 min).
	CallTimeout time.Duration
	// PingInterval: ping when nothing was written for this long (default
	// 30 s; negative disables).
	PingInterval time.Duration
	// MaxRetries bounds the retries of a retryable call (default 5; negative:
	// none).
	MaxRetries int
	// RetryBackoff is the first retry delay, doubled per retry up to
	// MaxRetryBackoff (defaults 200 ms and 5 s).
	RetryBackoff, MaxRetryBackoff time.Duration
	// MaxFrame bounds a response frame (default DefaultMaxFrame).
	MaxFrame int
	// Dialer opens connections (default net.Dialer.DialContext).
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *Options) setDefaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 2 * time.Minute
	}
	if o.PingInterval == 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = 5 * time.Second
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = DefaultMaxFrame
	}
	if o.Dialer == nil {
		var d net.Dialer
		o.Dialer = d.DialContext
	}
}

// Client calls one Hadoop IPC protocol on one server (or HA pair).
type Client struct {
	opts     Options
	clientID []byte
	callID   atomic.Int32

	mu      sync.Mutex
	auth    Authenticator
	cur     *conn
	addrIdx int           // the address to dial next
	dialing chan struct{} // closed when the dial in progress ends
	closed  bool
}

// NewClient returns a client; it connects on the first call.
func NewClient(opts Options) (*Client, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("hadoop rpc: no server address")
	}
	if opts.Protocol == "" {
		return nil, errors.New("hadoop rpc: no protocol name")
	}
	if opts.User == "" && (opts.Auth == nil || opts.Auth.SendsUser()) {
		return nil, errors.New("hadoop rpc: no user name")
	}
	opts.Addrs = append([]string(nil), opts.Addrs...)
	opts.setDefaults()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("hadoop rpc: client id: %w", err)
	}
	// Hadoop's client ids are type-4 UUIDs.
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return &Client{opts: opts, clientID: id, auth: opts.Auth}, nil
}

// ClientID is the 16-byte id the client sends with every call; it stays
// the same across reconnections.
func (c *Client) ClientID() []byte { return append([]byte(nil), c.clientID...) }

// Addrs returns the configured addresses.
func (c *Client) Addrs() []string { return append([]string(nil), c.opts.Addrs...) }

// SetAuth replaces the authenticator for the connections made from now on
// (for example with a rolled AMRMToken); the current connection stays.
func (c *Client) SetAuth(a Authenticator) {
	c.mu.Lock()
	c.auth = a
	c.mu.Unlock()
}

// Close closes the connection and stops its goroutines. Calls in flight
// fail; later calls return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cur := c.cur
	c.cur = nil
	c.mu.Unlock()
	if cur != nil {
		cur.close(ErrClosed)
	}
	return nil
}

// CallOption modifies one call.
type CallOption func(*callOpts)

type callOpts struct{ idempotent bool }

// Idempotent marks a call safe to repeat: it is retried on a new connection
// after a connection failure, and after RetriableException or
// ServerTooBusyException.
func Idempotent() CallOption { return func(o *callOpts) { o.idempotent = true } }

// Call invokes method with req and decodes the response into resp.
func (c *Client) Call(ctx context.Context, method string, req, resp proto.Message, opts ...CallOption) error {
	var co callOpts
	for _, o := range opts {
		o(&co)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.CallTimeout)
		defer cancel()
	}
	callID := c.callID.Add(1) & 0x7fffffff
	backoff := c.opts.RetryBackoff
	var lastErr error
	for attempt := 0; ; attempt++ {
		retry := int32(-1) // Hadoop's "not a retry"
		if attempt > 0 {
			retry = int32(attempt)
		}
		addr, err := c.try(ctx, method, callID, retry, req, resp)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			if !errors.Is(err, ctx.Err()) {
				lastErr = err
			}
			return c.giveUp(ctx, method, addr, attempt, lastErr)
		}
		lastErr = err
		if !c.retryable(err, co.idempotent) || c.opts.MaxRetries < 0 || attempt >= c.opts.MaxRetries {
			return c.wrap(method, addr, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.giveUp(ctx, method, addr, attempt+1, lastErr)
		case <-t.C:
		}
		backoff = min(2*backoff, c.opts.MaxRetryBackoff)
	}
}

// giveUp reports a call that ran out of time, with the last failure.
func (c *Client) giveUp(ctx context.Context, method, addr string, attempts int, last error) error {
	if last == nil || errors.Is(last, ctx.Err()) {
		return fmt.Errorf("hadoop rpc %s to %s: %w", method, c.describeAddrs(addr), ctx.Err())
	}
	return fmt.Errorf("hadoop rpc %s to %s: %w after %d attempt(s); last error: %w", method, c.describeAddrs(addr), ctx.Err(), attempts+1, last)
}

func (c *Client) wrap(method, addr string, err error) error {
	var re *RemoteError
	if errors.As(err, &re) {
		if re.Method == "" {
			re.Method = method
		}
		return err // already names the method; keep it matchable as is
	}
	return fmt.Errorf("hadoop rpc %s to %s: %w", method, c.describeAddrs(addr), err)
}

func (c *Client) describeAddrs(addr string) string {
	if addr != "" {
		return addr
	}
	return strings.Join(c.opts.Addrs, ",")
}

// retryable decides whether a failed attempt may be repeated.
func (c *Client) retryable(err error, idempotent bool) bool {
	var ce *ConnError
	if errors.As(err, &ce) {
		// Nothing of the call was sent when dialing or the handshake failed.
		return idempotent || ce.Op == "dial" || ce.Op == "handshake"
	}
	if errors.Is(err, ErrStandby) {
		return true // not executed; fail over
	}
	return idempotent && (errors.Is(err, ErrRetriable) || errors.Is(err, ErrServerTooBusy))
}

// try makes one attempt; it returns the address used.
func (c *Client) try(ctx context.Context, method string, callID, retry int32, req, resp proto.Message) (string, error) {
	cc, err := c.conn(ctx)
	if err != nil {
		var ce *ConnError
		if errors.As(err, &ce) {
			return ce.Addr, err
		}
		return "", err
	}
	frame, err := encodeFrame(
		requestHeader(callID, c.clientID, retry),
		&hadooppb.RequestHeaderProto{
			MethodName:                 proto.String(method),
			DeclaringClassProtocolName: proto.String(c.opts.Protocol),
			ClientProtocolVersion:      proto.Uint64(ProtocolVersion),
		},
		req)
	if err != nil {
		return cc.addr, err
	}
	r, err := cc.call(ctx, callID, frame)
	if err != nil {
		return cc.addr, err
	}
	if r.header.GetStatus() != hadooppb.RpcResponseHeaderProto_SUCCESS {
		re := remoteError(r.header, method)
		if errors.Is(re, ErrStandby) {
			c.failover(cc)
		}
		return cc.addr, re
	}
	if err := decodeBody(r.body, resp); err != nil {
		// The frame boundaries still hold, so the connection stays usable.
		return cc.addr, fmt.Errorf("decode %s response: %w", method, err)
	}
	return cc.addr, nil
}

// failover drops cc and moves to the next address.
func (c *Client) failover(cc *conn) {
	c.mu.Lock()
	if c.cur == cc {
		c.cur = nil
		c.addrIdx = (c.addrIdx + 1) % len(c.opts.Addrs)
	}
	c.mu.Unlock()
	cc.close(&ConnError{Addr: cc.addr, Op: "read", Err: errors.New("server is in standby")})
}

// conn returns the healthy connection, dialing one when needed. Concurrent
// callers share one dial; each waits for it only as long as its context.
func (c *Client) conn(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if c.cur != nil && !c.cur.broken() {
			cc := c.cur
			c.mu.Unlock()
			return cc, nil
		}
		if old := c.cur; old != nil {
			c.cur = nil
			c.addrIdx = (c.addrIdx + 1) % len(c.opts.Addrs) // it broke: try the next (HA)
			c.mu.Unlock()
			old.close(old.brokenErr()) // reap its goroutines (already stopping)
			continue
		}
		if ch := c.dialing; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.dialing = ch
		start, auth := c.addrIdx, c.auth
		c.mu.Unlock()

		cc, idx, err := c.dial(ctx, start, auth)

		c.mu.Lock()
		c.dialing = nil
		close(ch)
		if err == nil {
			if c.closed {
				c.mu.Unlock()
				cc.close(ErrClosed)
				return nil, ErrClosed
			}
			c.cur, c.addrIdx = cc, idx
		}
		c.mu.Unlock()
		return cc, err
	}
}

// dial tries each address once, starting at start.
func (c *Client) dial(ctx context.Context, start int, auth Authenticator) (*conn, int, error) {
	var errs []error
	n := len(c.opts.Addrs)
	for i := 0; i < n; i++ {
		idx := (start + i) % n
		dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
		cc, err := dialConn(dctx, &c.opts, auth, c.opts.Addrs[idx], c.clientID)
		cancel()
		if err == nil {
			return cc, idx, nil
		}
		var re *RemoteError
		if errors.As(err, &re) {
			return nil, idx, err // refused by the server: another address will not help
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return nil, start, errs[0]
	}
	return nil, start, errors.Join(errs...)
}
