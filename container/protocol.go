package container

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gostream/gostream/engine/task"
)

// message is one line of the executor protocol (see the package doc).
type message struct {
	// The handshake.
	Challenge  []byte `json:"challenge,omitempty"`
	Proof      []byte `json:"proof,omitempty"`
	ExecutorID string `json:"executor_id,omitempty"`
	Host       string `json:"host,omitempty"`
	Cores      int    `json:"cores,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Launcher   bool   `json:"launcher,omitempty"` // the client-mode AM, not an executor
	// ShuffleAddr is where the executor serves its map outputs (host:port);
	// empty when it runs no tasks.
	ShuffleAddr string `json:"shuffle_addr,omitempty"`
	// MetricsAddr is where the executor serves its Prometheus metrics
	// (host:port; empty: it serves none).
	MetricsAddr string `json:"metrics_addr,omitempty"`
	OK          bool   `json:"ok,omitempty"`
	Error       string `json:"error,omitempty"`
	// Failure says what kind of failure Error is (engine/task), so that
	// the requester can tell a task's own error from one no retry mends.
	Failure *failure `json:"failure,omitempty"`

	// After the handshake: requests carry Seq and Op, replies Reply plus
	// their payload (Data, Key), or Error when the request failed.
	Seq       int64      `json:"seq,omitempty"`
	Reply     int64      `json:"reply,omitempty"`
	Op        string     `json:"op,omitempty"`
	Heartbeat int64      `json:"heartbeat,omitempty"`
	Run       int64      `json:"run,omitempty"`    // a receiver or task run, numbered by the driver
	Stream    int        `json:"stream,omitempty"` // the receiver's stream id
	Name      string     `json:"name,omitempty"`
	Offset    *string    `json:"offset,omitempty"`
	Data      []byte     `json:"-"`                  // records, a task's spec, an input partition, a bucket: raw after the line
	DataLen   int        `json:"data_len,omitempty"` // how many bytes of Data follow the line
	Report    string     `json:"report,omitempty"`
	Key       string     `json:"key,omitempty"`       // a map output on its executor
	Partition int        `json:"partition,omitempty"` // a reduce partition of a map output
	Batch     int64      `json:"batch,omitempty"`     // a batch time, in ms
	End       *DriverEnd `json:"end,omitempty"`       // driver_ended: how the client-mode driver ended
}

// Operations after the handshake.
const (
	opHeartbeat    = "heartbeat"     // executor → driver
	opRunReceiver  = "run_receiver"  // driver → executor: Run, Stream, Name, Offset
	opStopReceiver = "stop_receiver" // driver → executor: Run
	opRecords      = "records"       // executor → driver: Run, Data
	opBlock        = "block"         // executor → driver: Run, Data, Offset; replied once safe
	opReport       = "report"        // executor → driver: Run, Report
	opReceiverDone = "receiver_done" // executor → driver: Run, Error

	opRunTask        = "run_task"        // driver → executor: Run, Data; replied with Key when done
	opReadInput      = "read_input"      // executor → driver: Run, Data; replied with Data
	opForgetShuffles = "forget_shuffles" // driver → executor: Batch (drop map outputs of earlier batches)
	opCancelTask     = "cancel_task"     // driver → executor: Run (the driver no longer waits for it)
	opExecutorLost   = "executor_lost"   // driver → client-mode AM: ExecutorID, declared lost
	opDriverEnded    = "driver_ended"    // driver → client-mode AM: End, before the driver closes the link
	opFetchBucket    = "fetch_bucket"    // on a shuffle connection: Key, Partition; replied with Data
)

// ErrAuth: the executor could not prove the application's secret. It is a
// task.ErrAuth: no retry mends it.
var ErrAuth = fmt.Errorf("executor %w", task.ErrAuth)

// ErrDeclaredLost: the driver refused an executor it had declared lost
// (silent for the network timeout, or its connection ended); the executor
// process must exit.
var ErrDeclaredLost = errors.New("the driver declared this executor lost")

// maxLine bounds one protocol line: the JSON header of a message, whose
// data follows the line raw.
const maxLine = 1 << 20

// maxPayload is the most data one message carries (a block of records, an
// input partition, a bucket): 64 MiB.
const maxPayload = 64 << 20

// tooLarge refuses n bytes of what that would not fit in one message, which
// the other side would refuse.
func tooLarge(what string, n int) error {
	if n <= maxPayload {
		return nil
	}
	return fmt.Errorf("%s of %d bytes is too large for one message of the executor protocol (at most %d MiB)", what, n, maxPayload>>20)
}

// errLineTooLong: a message was not sent because the other side could not
// read it.
var errLineTooLong = errors.New("message too large for the executor protocol")

// lineConn reads and writes messages with deadlines: a JSON line, then
// data_len raw bytes. Bulk data stays out of the JSON (no base64, no
// escaping): it is most of what crosses the connection.
type lineConn struct {
	c net.Conn
	r *bufio.Reader
}

func newLineConn(c net.Conn) *lineConn {
	return &lineConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
}

func (l *lineConn) send(m message, timeout time.Duration) error {
	if len(m.Data) > maxPayload {
		return fmt.Errorf("%w (%d bytes of data)", errLineTooLong, len(m.Data))
	}
	m.DataLen = len(m.Data)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) >= maxLine {
		return fmt.Errorf("%w (a %d-byte line)", errLineTooLong, len(b))
	}
	_ = l.c.SetWriteDeadline(time.Now().Add(timeout))
	bufs := net.Buffers{append(b, '\n'), m.Data}
	_, err = bufs.WriteTo(l.c)
	return err
}

func (l *lineConn) recv(timeout time.Duration) (message, error) {
	_ = l.c.SetReadDeadline(time.Now().Add(timeout))
	line, err := l.readLine()
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		return message{}, fmt.Errorf("bad message from %s: %w", l.c.RemoteAddr(), err)
	}
	if m.DataLen < 0 || m.DataLen > maxPayload {
		return message{}, fmt.Errorf("bad message from %s: %d bytes of data (at most %d)", l.c.RemoteAddr(), m.DataLen, maxPayload)
	}
	if m.DataLen > 0 {
		m.Data = make([]byte, m.DataLen)
		if _, err := io.ReadFull(l.r, m.Data); err != nil {
			return message{}, fmt.Errorf("data of a message from %s: %w", l.c.RemoteAddr(), err)
		}
	}
	return m, nil
}

// readLine reads one line of at most maxLine bytes, without its newline.
func (l *lineConn) readLine() ([]byte, error) {
	var line []byte
	for {
		part, err := l.r.ReadSlice('\n')
		if err == nil {
			if line == nil {
				return part[:len(part)-1], nil // valid until the next read: parsed before it
			}
			return append(line, part[:len(part)-1]...), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("connection closed by %s", l.c.RemoteAddr())
			}
			return nil, err
		}
		line = append(line, part...)
		if len(line) >= maxLine {
			return nil, fmt.Errorf("bad message from %s: a line longer than %d bytes", l.c.RemoteAddr(), maxLine)
		}
	}
}

// proof is HMAC-SHA256(secret, challenge).
func proof(secret string, challenge []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(challenge)
	return h.Sum(nil)
}

// NewSecret makes a per-application secret executors prove to the driver.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("executor secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}
