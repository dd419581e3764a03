package engine_test

import (
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// lineServer accepts connections one after another; the n-th connection
// gets scripts[n] written to it, and is closed afterwards unless it is the
// last one (then it stays open until the test ends).
func lineServer(t *testing.T, scripts ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, script := range scripts {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := c.Write([]byte(script)); err != nil {
				t.Errorf("write to connection %d: %v", i, err)
			}
			if i < len(scripts)-1 {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestSocketTextStream(t *testing.T) {
	addr := lineServer(t,
		"hello\nwörld\r\nab\xffcd\n\nlast line without newline",
		"again\n",
	)
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiverRestartDelay", "1s"))
	events := &receiverEvents{}
	h.Ctx.AddListener(events)
	out := streamtest.Collect(h, engine.SocketTextStream(h.Ctx, addr))
	h.Start()
	var got []string
	batches := 0
	eventually(t, "the lines of both connections", func() bool {
		h.Advance(1)
		b, _ := out.Batch(batches)
		batches++
		got = append(got, b...)
		return slices.Contains(got, "again")
	})
	// CR LF is a line end too; the invalid byte is replaced, the empty
	// line kept, the unterminated last line delivered when the server closes.
	want := []string{"hello", "wörld", "ab\uFFFDcd", "", "last line without newline", "again"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	eventually(t, "the receiver's error events", func() bool {
		return events.hasError("not valid UTF-8", "line 3") && events.hasError("closed the connection")
	})
}

// TestSocketTextStreamServerDown: a server that is not there yet is retried
// until it appears.
func TestSocketTextStreamServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens: connections are refused

	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiverRestartDelay", "1s"))
	events := &receiverEvents{}
	h.Ctx.AddListener(events)
	out := streamtest.Collect(h, engine.SocketTextStream(h.Ctx, addr))
	h.Start()
	eventually(t, "a connection error", func() bool { return events.hasError("connect to " + addr) })

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("up\n"))
		defer c.Close()
		buf := make([]byte, 1)
		c.Read(buf) // hold the connection until the receiver closes it
	}()
	var got []string
	batches := 0
	eventually(t, "the line sent once the server is up", func() bool {
		h.Advance(1)
		b, _ := out.Batch(batches)
		batches++
		got = append(got, b...)
		return len(got) > 0
	})
	if !slices.Equal(got, []string{"up"}) {
		t.Errorf("got %q", got)
	}
}
