package container

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// shuffleServer serves an executor's map outputs and the blocks its
// receivers keep to the driver and to the other executors, on connections
// that prove the application's secret as the executor's own connection to
// the driver does.
type shuffleServer struct {
	addr    string // host:port, as the executor announces it
	store   *shuffleStore
	blocks  *blockStore
	secret  string
	timeout time.Duration
	log     *slog.Logger
	srv     *connServer
}

// startShuffleServer listens on ip (the executor's side of its connection
// to the driver, so the driver and the other executors can reach it), any
// port.
func startShuffleServer(ip *net.TCPAddr, store *shuffleStore, blocks *blockStore, secret string, timeout time.Duration, log *slog.Logger) (*shuffleServer, error) {
	ln, err := net.Listen("tcp", (&net.TCPAddr{IP: ip.IP, Zone: ip.Zone}).String())
	if err != nil {
		return nil, fmt.Errorf("shuffle server: listen on %s: %w", ip.IP, err)
	}
	s := &shuffleServer{addr: ln.Addr().String(), store: store, blocks: blocks, secret: secret, timeout: timeout, log: log}
	s.srv = serveConns(ln, s.serve)
	return s, nil
}

// serve runs one reader's connection. It ends when the reader closes it or
// leaves it idle for the timeout.
func (s *shuffleServer) serve(c net.Conn) {
	lc := newLineConn(c)
	hello, err := acceptHandshake(lc, s.secret, s.timeout, nil)
	if err != nil {
		s.log.Warn("shuffle connection refused", "remote", c.RemoteAddr(), "err", err)
		return
	}
	p := newPeer(lc, s.timeout)
	var handlers sync.WaitGroup
	err = p.read(s.handle, &handlers)
	handlers.Wait()
	if !s.srv.isClosed() {
		s.log.Debug("shuffle connection ended", "reader", hello.ExecutorID, "remote", c.RemoteAddr(), "err", err)
	}
}

func (s *shuffleServer) handle(m message) (message, error) {
	var data []byte
	var err error
	switch m.Op {
	case opFetchBucket:
		data, err = s.store.bucket(m.Key, m.Partition)
	case opFetchBlock:
		data, err = s.blocks.get(m.Key)
	default:
		return message{}, fmt.Errorf("unknown request %q on a shuffle connection", m.Op)
	}
	return message{Data: data}, err
}

// close stops serving and waits for the connections' goroutines.
func (s *shuffleServer) close() { _ = s.srv.close() }
