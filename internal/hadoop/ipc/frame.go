package ipc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// Protocol constants of Hadoop IPC.
const (
	// Preamble is the connection header's magic.
	Preamble = "hrpc"
	// Version is the IPC version gostream speaks (Hadoop 2.x and 3.x).
	Version byte = 9
	// ServiceClass is the default service class.
	ServiceClass byte = 0
	// AuthNone and AuthSASL are the auth protocol bytes of the preamble.
	AuthNone byte = 0
	AuthSASL byte = 0xDF

	// Special call ids.
	CallIDConnectionContext int32 = -3
	CallIDPing              int32 = -4
	CallIDSASL              int32 = -33

	// ProtocolVersion is the clientProtocolVersion of every YARN protocol.
	ProtocolVersion uint64 = 1

	// DefaultMaxFrame bounds a response frame (Hadoop's
	// ipc.maximum.response.length is 128 MiB).
	DefaultMaxFrame = 128 << 20
)

// ErrMalformed is wrapped by errors about frames that do not decode.
var ErrMalformed = errors.New("malformed Hadoop IPC frame")

// preamble returns the 7-byte connection header.
func preamble(auth byte) []byte {
	return append([]byte(Preamble), Version, ServiceClass, auth)
}

// requestHeader builds the RpcRequestHeaderProto of a frame.
func requestHeader(callID int32, clientID []byte, retry int32) *hadooppb.RpcRequestHeaderProto {
	h := &hadooppb.RpcRequestHeaderProto{
		RpcKind:    hadooppb.RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
		RpcOp:      hadooppb.RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
		CallId:     proto.Int32(callID),
		ClientId:   clientID,
		RetryCount: proto.Int32(retry), // Hadoop always sends it; -1 is "not a retry"
	}
	return h
}

// appendDelimited appends m, prefixed by its varint length.
func appendDelimited(b []byte, m proto.Message) ([]byte, error) {
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendVarint(b, uint64(len(data)))
	return append(b, data...), nil
}

// encodeFrame returns a whole frame (length prefix included) holding the
// delimited messages.
func encodeFrame(msgs ...proto.Message) ([]byte, error) {
	b := make([]byte, 4, 128)
	var err error
	for _, m := range msgs {
		if b, err = appendDelimited(b, m); err != nil {
			return nil, fmt.Errorf("encode frame: %w", err)
		}
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b, nil
}

// readFrame reads one length-prefixed frame of at most max bytes.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if int64(n) > int64(max) {
		return nil, fmt.Errorf("%w: frame of %d bytes exceeds the limit of %d", ErrMalformed, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// nextDelimited splits a varint-delimited message off b.
func nextDelimited(b []byte) (msg, rest []byte, err error) {
	n, k := protowire.ConsumeVarint(b)
	if k < 0 {
		return nil, nil, fmt.Errorf("%w: bad message length prefix", ErrMalformed)
	}
	if n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("%w: message of %d bytes, only %d present", ErrMalformed, n, len(b)-k)
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// decodeResponse splits a server frame into its header and the rest (the
// delimited response message or SASL message, when present).
func decodeResponse(frame []byte) (*hadooppb.RpcResponseHeaderProto, []byte, error) {
	hb, rest, err := nextDelimited(frame)
	if err != nil {
		return nil, nil, fmt.Errorf("response header: %w", err)
	}
	var h hadooppb.RpcResponseHeaderProto
	if err := proto.Unmarshal(hb, &h); err != nil {
		return nil, nil, fmt.Errorf("%w: response header: %v", ErrMalformed, err)
	}
	return &h, rest, nil
}

// decodeBody unmarshals the delimited message at the start of rest into m
// and checks that nothing follows it.
func decodeBody(rest []byte, m proto.Message) error {
	b, tail, err := nextDelimited(rest)
	if err != nil {
		return err
	}
	if len(tail) != 0 {
		return fmt.Errorf("%w: %d bytes after the message", ErrMalformed, len(tail))
	}
	if err := (proto.UnmarshalOptions{AllowPartial: true, DiscardUnknown: false}).Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
