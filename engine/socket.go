package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"
)

// maxLineBytes bounds one line of a socket text stream.
const maxLineBytes = 1 << 20

// SocketTextStream creates an input stream of the lines read from a TCP
// server at addr ("host:port"). When the connection fails or the server
// closes it, the receiver reports the error and reconnects after
// gostream.streaming.receiverRestartDelay. A line that is not valid UTF-8 is
// reported and kept with the invalid bytes replaced by U+FFFD.
func SocketTextStream(ssc *Context, addr string) *DStream[string] {
	return ReceiverStream(ssc, "socket "+addr, &socketReceiver{addr: addr, dialTimeout: ssc.settings.networkTimeout})
}

type socketReceiver struct {
	addr        string
	dialTimeout time.Duration
}

func (s *socketReceiver) Receive(ctx context.Context, out Sink[string]) error {
	d := net.Dialer{Timeout: s.dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", s.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if !utf8.ValidString(line) {
			out.ReportError(fmt.Errorf("%s line %d is not valid UTF-8; stored with invalid bytes replaced", s.addr, lineNo))
			line = strings.ToValidUTF8(line, "\uFFFD")
		}
		out.Store(line)
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s sent a line longer than %d bytes after line %d", s.addr, maxLineBytes, lineNo)
		}
		return fmt.Errorf("read from %s: %w", s.addr, err)
	}
	return fmt.Errorf("%s closed the connection after %d lines", s.addr, lineNo)
}
