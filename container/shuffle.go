package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
)

// shuffleConnsPerAddr bounds the connections to one shuffle server: reads
// share a connection (their request ids tell the replies apart); a second
// one only helps while the first is busy.
const shuffleConnsPerAddr = 2

// errShuffleClientClosed: the driver or executor reading is shutting down.
var errShuffleClientClosed = errors.New("shuffle client closed")

// shuffleClient reads map outputs from executors' shuffle servers (the
// driver's and every executor's rdd.ShuffleReader). It keeps a few
// authenticated connections per server and reuses them; a broken one leaves
// the pool, so the next read dials again. Every read is bounded by its ctx
// and the network timeout.
type shuffleClient struct {
	secret  string
	self    string // who reads, for the servers' logs
	timeout time.Duration
	local   *shuffleServer     // this executor's own outputs, read from its store; nil on the driver
	ctx     context.Context    // ends with close: dials in progress stop
	cancel  context.CancelFunc // of ctx
	bytesIn *atomic.Int64      // when set, counts the bytes read (the driver's)

	mu     sync.Mutex
	pools  map[string][]*shuffleConn // by address
	closed bool
	wg     sync.WaitGroup // one goroutine per connection
}

// shuffleConn is one connection of a pool; its goroutine dials it, then
// reads its replies until it breaks or is closed.
type shuffleConn struct {
	addr  string
	ready chan struct{} // closed once dialed: peer, or err
	peer  *peer
	err   error

	conn      net.Conn  // under shuffleClient.mu, once connected
	inflight  int       // reads using it, under shuffleClient.mu
	used      bool      // a read gave it back, under shuffleClient.mu
	idleSince time.Time // under shuffleClient.mu
}

func newShuffleClient(secret, self string, timeout time.Duration, local *shuffleServer) *shuffleClient {
	ctx, cancel := context.WithCancel(context.Background())
	return &shuffleClient{secret: secret, self: self, timeout: timeout, local: local, ctx: ctx, cancel: cancel,
		pools: map[string][]*shuffleConn{}}
}

// ReadBucket returns bucket reduce of the map output at out. An error
// wrapping task.ErrExecutorLost means the server could not be reached or the
// connection broke; an error from the server (the output was dropped, say)
// does not.
func (c *shuffleClient) ReadBucket(ctx context.Context, out rdd.MapOutput, reduce int) ([]byte, error) {
	var data []byte
	var err error
	if c.local != nil && out.Addr == c.local.addr {
		// A copy, as from the network: the reader may write to it.
		data, err = c.local.store.bucket(out.Key, reduce)
		data = bytes.Clone(data)
	} else {
		data, err = c.fetch(ctx, out.Addr, message{Op: opFetchBucket, Key: out.Key, Partition: reduce})
	}
	if err != nil {
		return nil, fmt.Errorf("read bucket %d of map output %s from executor %s at %s: %w", reduce, out.Key, out.Executor, out.Addr, err)
	}
	return data, nil
}

// ReadBlock returns a block a receiver keeps on an executor (the executors'
// cluster.BlockReader): from this executor's store when it holds it, else
// from its holder. Errors are those of ReadBucket.
func (c *shuffleClient) ReadBlock(ctx context.Context, b cluster.BlockRef) ([]byte, error) {
	var data []byte
	var err error
	if c.local != nil && b.Addr == c.local.addr {
		data, err = c.local.blocks.get(b.ID) // readers only decode it: no copy
	} else {
		data, err = c.fetch(ctx, b.Addr, message{Op: opFetchBlock, Key: b.ID})
	}
	if err != nil {
		return nil, fmt.Errorf("read block %s of stream %d from executor %s at %s: %w", b.ID, b.Stream, b.Executor, b.Addr, err)
	}
	return data, nil
}

// fetch sends req (a bucket's or a block's read) over a pooled connection
// to addr and returns the data replied. A read that breaks a connection
// earlier reads used is tried again (fetching is idempotent): it may have
// broken while idle. A new connection breaking is the answer.
func (c *shuffleClient) fetch(ctx context.Context, addr string, req message) ([]byte, error) {
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for {
		sc, reused, err := c.take(tctx, addr)
		if err != nil {
			return nil, err
		}
		r, err := sc.peer.request(tctx, req)
		// The caller giving up says nothing about the connection; anything
		// else but the server's answer (a timeout included) does.
		broken := err != nil && !isRemote(err) && ctx.Err() == nil
		c.give(sc, broken)
		switch {
		case err == nil:
			return r.Data, nil
		case !broken:
			return nil, err
		case !reused || tctx.Err() != nil:
			return nil, fmt.Errorf("%w (%w)", err, task.ErrExecutorLost)
		}
	}
}

// take is a connection to addr for one read, once it is dialed, and
// whether earlier reads used it; give it back.
func (c *shuffleClient) take(ctx context.Context, addr string) (sc *shuffleConn, reused bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, errShuffleClientClosed
	}
	sc = c.pick(addr)
	sc.inflight++
	reused = sc.used
	c.mu.Unlock()
	select {
	case <-sc.ready:
	case <-ctx.Done():
		c.give(sc, false)
		return nil, false, ctx.Err()
	}
	if sc.err != nil {
		c.give(sc, false)
		return nil, false, sc.err
	}
	return sc, reused, nil
}

// pick is the least busy connection to addr, or a new one while all are
// busy and the pool has room. Connections idle for half the timeout are
// closed first: the server drops them after the timeout, and a read must
// not race that. c.mu is held.
func (c *shuffleClient) pick(addr string) *shuffleConn {
	for _, sc := range slices.Clone(c.pools[addr]) {
		if sc.conn != nil && sc.inflight == 0 && time.Since(sc.idleSince) > c.timeout/2 {
			c.remove(sc)
		}
	}
	var best *shuffleConn
	for _, sc := range c.pools[addr] {
		if best == nil || sc.inflight < best.inflight {
			best = sc
		}
	}
	if best == nil || best.inflight > 0 && len(c.pools[addr]) < shuffleConnsPerAddr {
		best = &shuffleConn{addr: addr, ready: make(chan struct{})}
		c.pools[addr] = append(c.pools[addr], best)
		c.wg.Add(1)
		go c.run(best)
	}
	return best
}

// give ends one read of sc; a broken connection leaves the pool.
func (c *shuffleClient) give(sc *shuffleConn, broken bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc.inflight--
	sc.used = true
	sc.idleSince = time.Now()
	if broken {
		c.remove(sc)
	}
}

// remove takes sc out of its pool and closes it. c.mu is held.
func (c *shuffleClient) remove(sc *shuffleConn) {
	pool := slices.DeleteFunc(c.pools[sc.addr], func(x *shuffleConn) bool { return x == sc })
	if len(pool) == 0 {
		delete(c.pools, sc.addr)
	} else {
		c.pools[sc.addr] = pool
	}
	if sc.conn != nil {
		sc.conn.Close()
	}
}

// run dials sc, then reads its replies until it breaks or is closed.
func (c *shuffleClient) run(sc *shuffleConn) {
	defer c.wg.Done()
	if err := c.connect(sc); err != nil {
		sc.err = err
		c.mu.Lock()
		c.remove(sc) // before ready: no new read picks a failed connection
		c.mu.Unlock()
		close(sc.ready)
		return
	}
	close(sc.ready)
	var handlers sync.WaitGroup
	_ = sc.peer.read(func(m message) (message, error) {
		return message{}, fmt.Errorf("unexpected request %q on a shuffle connection", m.Op)
	}, &handlers)
	handlers.Wait()
	c.mu.Lock()
	c.remove(sc)
	c.mu.Unlock()
}

// connect dials sc's server and proves the secret. A refusal wraps
// ErrAuth, any other failure task.ErrExecutorLost.
func (c *shuffleClient) connect(sc *shuffleConn) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", sc.addr)
	if err != nil {
		return fmt.Errorf("connect: %w (%w)", err, task.ErrExecutorLost)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.Close()
		return errShuffleClientClosed
	}
	sc.conn = conn // close closes it, ending a handshake in progress
	c.mu.Unlock()
	lc := newLineConn(conn)
	lc.bytesIn = c.bytesIn
	if err := dialHandshake(lc, c.secret, c.timeout, message{ExecutorID: c.self}); err != nil {
		if errors.Is(err, ErrAuth) {
			return err
		}
		return fmt.Errorf("%w (%w)", err, task.ErrExecutorLost)
	}
	sc.peer = newPeer(lc, c.timeout)
	return nil
}

// close closes every connection and waits for their goroutines.
func (c *shuffleClient) close() {
	c.mu.Lock()
	c.closed = true
	c.cancel()
	for _, pool := range c.pools {
		for _, sc := range pool {
			if sc.conn != nil {
				sc.conn.Close()
			}
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
}
