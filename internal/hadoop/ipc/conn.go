package ipc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// conn is one established connection. Its reader goroutine delivers
// responses to the calls waiting in pending; its pinger keeps it alive.
// Both stop when the connection breaks or is closed.
type conn struct {
	nc        net.Conn
	addr      string
	maxFrame  int
	layer     SecurityLayer // SASL integrity or privacy; nil: none
	unwrapped []byte        // bytes unwrapped and not yet read (the reader's)

	wmu       sync.Mutex // serializes frame writes
	lastWrite atomic.Int64

	mu      sync.Mutex
	pending map[int32]chan result
	err     error // why the connection is broken; nil while healthy

	done chan struct{} // closed when broken
	wg   sync.WaitGroup
}

type result struct {
	header *hadooppb.RpcResponseHeaderProto
	body   []byte
	err    error
}

// dialConn connects to addr and runs the handshake, within ctx.
func dialConn(ctx context.Context, o *Options, auth Authenticator, addr string, clientID []byte) (*conn, error) {
	nc, err := o.Dialer(ctx, "tcp", addr)
	if err != nil {
		return nil, &ConnError{Addr: addr, Op: "dial", Err: err}
	}
	// The handshake honours ctx through a deadline, and cancellation through
	// a watcher that unblocks I/O.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	layer, err := handshake(nc, o, auth, clientID, addr)
	if !stop() || ctx.Err() != nil {
		if err == nil {
			err = ctx.Err()
		}
		nc.Close()
		return nil, &ConnError{Addr: addr, Op: "handshake", Err: errors.Join(ctx.Err(), err)}
	}
	if err != nil {
		nc.Close()
		var re *RemoteError
		if errors.As(err, &re) {
			return nil, err // the server refused us: not a connection failure
		}
		return nil, &ConnError{Addr: addr, Op: "handshake", Err: err}
	}
	_ = nc.SetDeadline(time.Time{})
	c := &conn{nc: nc, addr: addr, maxFrame: o.MaxFrame, layer: layer, pending: map[int32]chan result{}, done: make(chan struct{})}
	c.lastWrite.Store(time.Now().UnixNano())
	c.wg.Add(1)
	go c.readLoop()
	if o.PingInterval > 0 {
		c.wg.Add(1)
		go c.pingLoop(o.PingInterval, clientID)
	}
	return c, nil
}

// broken reports whether the connection can no longer carry calls.
func (c *conn) broken() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// fail breaks the connection (once) and fails every pending call.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	_ = c.nc.Close()
	for _, ch := range pending {
		ch <- result{err: err}
	}
}

// close breaks the connection and waits for its goroutines.
func (c *conn) close(err error) {
	c.fail(err)
	c.wg.Wait()
}

// writeFailureGrace is how long a failed write waits for the reader to
// explain the failure with the server's fatal error.
const writeFailureGrace = 500 * time.Millisecond

// write sends one whole frame. A failed or timed-out write leaves the
// stream in an unknown state, so it breaks the connection.
func (c *conn) write(ctx context.Context, frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken() {
		return c.brokenErr()
	}
	dl, _ := ctx.Deadline()
	_ = c.nc.SetWriteDeadline(dl)
	var err error
	if c.layer != nil {
		// Wrapped here, under wmu, so tokens go out in their sequence.
		frame, err = wrapFrames(c.layer, frame)
	}
	if err == nil {
		_, err = c.nc.Write(frame)
	}
	if err != nil {
		// A server that refuses us (an AccessControlException for a missing
		// token) sends a fatal error and closes; a write racing with the
		// close fails. Give the reader a moment to deliver the reason.
		select {
		case <-c.done:
		case <-time.After(writeFailureGrace):
		}
		c.fail(&ConnError{Addr: c.addr, Op: "write", Err: err})
		var re *RemoteError
		if errors.As(c.brokenErr(), &re) {
			return re
		}
		return c.brokenErr()
	}
	c.lastWrite.Store(time.Now().UnixNano())
	return nil
}

func (c *conn) brokenErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// call sends a request frame for callID and waits for its response.
func (c *conn) call(ctx context.Context, callID int32, frame []byte) (result, error) {
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return result{}, err
	}
	c.pending[callID] = ch
	c.mu.Unlock()

	if err := c.write(ctx, frame); err != nil {
		c.forget(callID)
		return result{}, err
	}
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		c.forget(callID)
		return result{}, ctx.Err()
	}
}

func (c *conn) forget(callID int32) {
	c.mu.Lock()
	if c.pending != nil {
		delete(c.pending, callID)
	}
	c.mu.Unlock()
}

// readLoop delivers responses until the connection breaks.
func (c *conn) readLoop() {
	defer c.wg.Done()
	for {
		frame, err := c.readFrame()
		if err != nil {
			c.fail(&ConnError{Addr: c.addr, Op: "read", Err: err})
			return
		}
		h, rest, err := decodeResponse(frame)
		if err != nil {
			c.fail(&ConnError{Addr: c.addr, Op: "read", Err: err})
			return
		}
		id := int32(h.GetCallId())
		if h.GetStatus() == hadooppb.RpcResponseHeaderProto_FATAL {
			re := remoteError(h, "")
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- result{header: h}
			}
			c.fail(&ConnError{Addr: c.addr, Op: "read", Err: re})
			return
		}
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil { // else: a call that gave up waiting; drop it
			ch <- result{header: h, body: rest}
		}
	}
}

// readFrame returns the next frame from the server, unwrapping SASL WRAP
// messages when a security layer is in use.
func (c *conn) readFrame() ([]byte, error) {
	if c.layer == nil {
		return readFrame(c.nc, c.maxFrame)
	}
	for {
		if len(c.unwrapped) >= 4 {
			if frame, err := readFrame(bytes.NewReader(c.unwrapped), c.maxFrame); err == nil {
				c.unwrapped = c.unwrapped[4+len(frame):]
				return frame, nil
			} else if !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, err
			}
		}
		frame, err := readFrame(c.nc, c.maxFrame)
		if err != nil {
			return nil, err
		}
		data, ok, err := unwrapFrame(c.layer, frame)
		if err != nil {
			return nil, err
		}
		if !ok { // a plain frame: a fatal error the server sends unwrapped
			return frame, nil
		}
		c.unwrapped = append(c.unwrapped, data...)
	}
}

// pingLoop sends a ping whenever nothing was written for interval.
func (c *conn) pingLoop(interval time.Duration, clientID []byte) {
	defer c.wg.Done()
	frame, err := encodeFrame(requestHeader(CallIDPing, clientID, -1))
	if err != nil {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, c.lastWrite.Load())) < interval {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			_ = c.write(ctx, frame) // a failure breaks the connection; calls see it
			cancel()
		}
	}
}
