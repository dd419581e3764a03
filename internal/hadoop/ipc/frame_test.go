package ipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

func TestPreamble(t *testing.T) {
	if got := preamble(AuthSASL); !bytes.Equal(got, []byte{'h', 'r', 'p', 'c', 9, 0, 0xdf}) {
		t.Fatalf("% x", got)
	}
}

// The request frame layout: length, delimited RpcRequestHeaderProto,
// delimited RequestHeaderProto, delimited request.
func TestRequestFrameLayout(t *testing.T) {
	id := bytes.Repeat([]byte{7}, 16)
	frame, err := encodeFrame(requestHeader(-33, id, -1),
		&hadooppb.RequestHeaderProto{MethodName: proto.String("m"), DeclaringClassProtocolName: proto.String("p"), ClientProtocolVersion: proto.Uint64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint32(frame); int(n) != len(frame)-4 {
		t.Fatalf("length %d, frame %d", n, len(frame))
	}
	hb, rest, err := nextDelimited(frame[4:])
	if err != nil {
		t.Fatal(err)
	}
	var h hadooppb.RpcRequestHeaderProto
	if err := proto.Unmarshal(hb, &h); err != nil {
		t.Fatal(err)
	}
	if h.GetCallId() != -33 || h.GetRpcKind() != hadooppb.RpcKindProto_RPC_PROTOCOL_BUFFER || h.GetRetryCount() != -1 || !bytes.Equal(h.GetClientId(), id) {
		t.Fatalf("header %v", &h)
	}
	// callId -33 travels as sint32 (zigzag 65), as Hadoop 2.1+ expects.
	if !bytes.Contains(hb, []byte{0x18, 0x41}) {
		t.Errorf("call id not encoded as sint32: % x", hb)
	}
	var rh hadooppb.RequestHeaderProto
	if err := decodeBody(rest, &rh); err != nil || rh.GetMethodName() != "m" {
		t.Fatalf("%v %v", &rh, err)
	}
}

func TestReadFrameLimits(t *testing.T) {
	if _, err := readFrame(bytes.NewReader([]byte{0, 0, 1, 0}), 16); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized frame: %v", err)
	}
	if _, err := readFrame(bytes.NewReader([]byte{0, 0, 0, 9, 1}), 16); err == nil {
		t.Fatal("truncated frame accepted")
	}
}

func FuzzDecodeResponse(f *testing.F) {
	ok, _ := encodeFrame(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(3), Status: hadooppb.RpcResponseHeaderProto_SUCCESS.Enum()},
		&hadooppb.TokenProto{Identifier: []byte("i"), Password: []byte("p"), Kind: proto.String("k"), Service: proto.String("s")})
	f.Add(ok)
	bad, _ := encodeFrame(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(3), Status: hadooppb.RpcResponseHeaderProto_FATAL.Enum(),
		ExceptionClassName: proto.String("x.Y"), ErrorMsg: proto.String("m")})
	f.Add(bad)
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := readFrame(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		h, rest, err := decodeResponse(frame)
		if err != nil {
			return
		}
		_ = remoteError(h, "m").Error()
		var tok hadooppb.TokenProto
		_ = decodeBody(rest, &tok)
		var s hadooppb.RpcSaslProto
		_ = decodeBody(rest, &s)
	})
}
