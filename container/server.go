package container

import (
	"net"
	"sync"
)

// connServer accepts connections and serves each on a goroutine of its own
// until closed: the driver's endpoint and the executors' shuffle servers.
type connServer struct {
	ln net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// serveConns starts accepting on ln; serve runs one connection, which is
// closed when it returns.
func serveConns(ln net.Listener, serve func(net.Conn)) *connServer {
	s := newConnServer(ln)
	s.start(serve)
	return s
}

// newConnServer makes a server on ln that accepts nothing until start: a
// serve function that uses the server needs it before the first
// connection.
func newConnServer(ln net.Listener) *connServer {
	return &connServer{ln: ln, conns: map[net.Conn]struct{}{}}
}

// start starts accepting; serve runs one connection, which is closed when
// it returns.
func (s *connServer) start(serve func(net.Conn)) {
	s.wg.Add(1)
	go s.accept(serve)
}

func (s *connServer) accept(serve func(net.Conn)) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			serve(c)
		}()
	}
}

// isClosed says whether close was called: connections then end on purpose.
func (s *connServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// close stops accepting, closes every connection and waits for their
// goroutines.
func (s *connServer) close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}
