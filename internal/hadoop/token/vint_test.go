package token

import (
	"bytes"
	"math"
	"testing"
)

// Encodings as Hadoop's WritableUtils.writeVLong produces them.
func TestVLongKnownEncodings(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0x00}},
		{1, []byte{0x01}},
		{127, []byte{0x7f}},
		{-1, []byte{0xff}},
		{-112, []byte{0x90}},
		{128, []byte{0x8f, 0x80}},
		{255, []byte{0x8f, 0xff}},
		{256, []byte{0x8e, 0x01, 0x00}},
		{-113, []byte{0x87, 0x70}},
		{-257, []byte{0x86, 0x01, 0x00}},
		{math.MaxInt64, []byte{0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{math.MinInt64, []byte{0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		got := AppendVLong(nil, tc.v)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("AppendVLong(%d) = % x, want % x", tc.v, got, tc.want)
		}
		v, n, err := ReadVLong(tc.want)
		if err != nil || v != tc.v || n != len(tc.want) {
			t.Errorf("ReadVLong(% x) = %d, %d, %v", tc.want, v, n, err)
		}
	}
}

func TestVLongRoundTrip(t *testing.T) {
	for v := int64(-70000); v <= 70000; v += 7 {
		b := AppendVLong(nil, v)
		got, n, err := ReadVLong(b)
		if err != nil || got != v || n != len(b) {
			t.Fatalf("%d: got %d (%d bytes of %d), %v", v, got, n, len(b), err)
		}
	}
	if _, _, err := ReadVLong([]byte{0x8e, 0x01}); err == nil {
		t.Error("truncated vlong accepted")
	}
	if _, _, err := ReadVInt(AppendVLong(nil, math.MaxInt32+1)); err == nil {
		t.Error("vint beyond int32 accepted")
	}
}
