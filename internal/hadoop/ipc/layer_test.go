package ipc

import (
	"bytes"
	"net"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
	"github.com/gostream/gostream/internal/hadoop/sasl"
)

// xorLayer is a stand-in security layer: it flips bits, so a frame sent
// or read without it does not decode.
type xorLayer struct{ max int }

func (xorLayer) QOP() sasl.QOP  { return sasl.QOPAuthConf }
func (l xorLayer) MaxSend() int { return l.max }
func (xorLayer) Wrap(p []byte) ([]byte, error) {
	out := make([]byte, len(p))
	for i, b := range p {
		out[i] = b ^ 0x5A
	}
	return out, nil
}
func (l xorLayer) Unwrap(p []byte) ([]byte, error) { return l.Wrap(p) }

// TestSecurityLayerFraming: with a security layer every frame the client
// writes travels as SASL WRAP messages of at most MaxSend bytes, and the
// frames the server wraps (several per token, or one across tokens) are
// read back in order.
func TestSecurityLayerFraming(t *testing.T) {
	layer := xorLayer{max: 10}
	frame, err := encodeFrame(requestHeader(7, []byte("0123456789abcdef"), -1))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := wrapFrames(layer, frame)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	r := bytes.NewReader(wrapped)
	for r.Len() > 0 {
		f, err := readFrame(r, DefaultMaxFrame)
		if err != nil {
			t.Fatal(err)
		}
		hb, rest, err := nextDelimited(f)
		if err != nil {
			t.Fatal(err)
		}
		var h hadooppb.RpcRequestHeaderProto
		if err := proto.Unmarshal(hb, &h); err != nil || h.GetCallId() != CallIDSASL {
			t.Fatalf("wrapped frame's header: call id %d, %v; want %d", h.GetCallId(), err, CallIDSASL)
		}
		var msg hadooppb.RpcSaslProto
		if err := decodeBody(rest, &msg); err != nil || msg.GetState() != hadooppb.RpcSaslProto_WRAP || len(msg.Token) > layer.max {
			t.Fatalf("wrapped frame: %v, %v; want WRAP of at most %d bytes", &msg, err, layer.max)
		}
		p, _ := layer.Unwrap(msg.Token)
		got = append(got, p...)
	}
	if !bytes.Equal(got, frame) {
		t.Fatalf("unwrapped %x, want %x", got, frame)
	}

	// The server's side: two response frames, cut into tokens across
	// their boundary.
	var plain []byte
	var want [][]byte
	for _, id := range []uint32{1, 2} {
		f, err := encodeFrame(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(id), Status: hadooppb.RpcResponseHeaderProto_SUCCESS.Enum()})
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, f...)
		want = append(want, f[4:])
	}
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	go func() {
		for cut := 0; cut < len(plain); cut += 5 {
			tok, _ := layer.Wrap(plain[cut:min(cut+5, len(plain))])
			saslID := CallIDSASL
			f, _ := encodeFrame(&hadooppb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(saslID)), Status: hadooppb.RpcResponseHeaderProto_SUCCESS.Enum()},
				&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_WRAP.Enum(), Token: tok})
			if _, err := server.Write(f); err != nil {
				return
			}
		}
	}()
	c := &conn{nc: client, maxFrame: DefaultMaxFrame, layer: layer}
	for i, w := range want {
		f, err := c.readFrame()
		if err != nil || !bytes.Equal(f, w) {
			t.Fatalf("frame %d: %x, %v; want %x", i, f, err, w)
		}
	}
}

// TestServerPrincipal: _HOST becomes the server's canonical host name, as
// Hadoop's SecurityUtil.getServerPrincipal makes it.
func TestServerPrincipal(t *testing.T) {
	for _, tc := range [][3]string{
		{"nn/_HOST@R", "127.0.0.1:8020", "nn/localhost@R"},
		{"rm/_HOST@R", "RM.Example.COM:8032", "rm/rm.example.com@R"},
		{"rm/fixed.example.com@R", "10.0.0.1:8032", "rm/fixed.example.com@R"},
	} {
		if got, err := ServerPrincipal(tc[0], tc[1]); err != nil || got != tc[2] {
			t.Errorf("ServerPrincipal(%q, %q) = %q, %v; want %q", tc[0], tc[1], got, err, tc[2])
		}
	}
}
