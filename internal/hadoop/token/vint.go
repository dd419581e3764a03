package token

import (
	"errors"
	"fmt"
)

// errShort reports input that ends inside a value.
var errShort = errors.New("unexpected end of data")

// AppendVLong appends v in Hadoop's WritableUtils.writeVLong encoding.
func AppendVLong(b []byte, v int64) []byte {
	if v >= -112 && v <= 127 {
		return append(b, byte(int8(v)))
	}
	lenByte := -112
	if v < 0 {
		v = ^v
		lenByte = -120
	}
	n := 0
	for tmp := v; tmp != 0; tmp >>= 8 {
		n++
	}
	b = append(b, byte(int8(lenByte-n)))
	for i := n; i > 0; i-- {
		b = append(b, byte(v>>((i-1)*8)))
	}
	return b
}

// AppendVInt appends v in Hadoop's WritableUtils.writeVInt encoding (the
// same bytes as AppendVLong).
func AppendVInt(b []byte, v int32) []byte { return AppendVLong(b, int64(v)) }

// ReadVLong decodes a WritableUtils vlong from b, returning it and the number
// of bytes used.
func ReadVLong(b []byte) (int64, int, error) {
	if len(b) == 0 {
		return 0, 0, errShort
	}
	first := int8(b[0])
	if first >= -112 {
		return int64(first), 1, nil
	}
	neg := first < -120
	var n int
	if neg {
		n = -120 - int(first)
	} else {
		n = -112 - int(first)
	}
	if len(b) < 1+n {
		return 0, 0, errShort
	}
	var v int64
	for _, c := range b[1 : 1+n] {
		v = v<<8 | int64(c)
	}
	if neg {
		v = ^v
	}
	return v, 1 + n, nil
}

// ReadVInt decodes a WritableUtils vint, refusing values outside int32.
func ReadVInt(b []byte) (int32, int, error) {
	v, n, err := ReadVLong(b)
	if err != nil {
		return 0, 0, err
	}
	if v != int64(int32(v)) {
		return 0, 0, fmt.Errorf("vint %d out of int32 range", v)
	}
	return int32(v), n, nil
}
