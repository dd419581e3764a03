package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
)

// Codecs for data the engine writes to disk: received blocks in the WAL and
// state snapshots. Strings and byte slices, by far the most common records,
// get a length-prefixed fast path; anything else goes through encoding/gob,
// so element types must be gob-encodable (exported fields).
const (
	codecStrings byte = 1 // uvarint count, then per item uvarint length + bytes
	codecBytes   byte = 2 // same layout as codecStrings
	codecGob     byte = 3 // gob of []T
)

// errCodec marks data that cannot be decoded (corrupt or of another type).
var errCodec = errors.New("cannot decode")

// encodeSlice encodes items with the fast path when T allows it.
func encodeSlice[T any](items []T) ([]byte, error) {
	switch v := any(items).(type) {
	case []string:
		n := 1 + binary.MaxVarintLen64
		for _, s := range v {
			n += len(s) + 2
		}
		b := make([]byte, 0, n)
		b = append(b, codecStrings)
		b = binary.AppendUvarint(b, uint64(len(v)))
		for _, s := range v {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b, nil
	case [][]byte:
		b := []byte{codecBytes}
		b = binary.AppendUvarint(b, uint64(len(v)))
		for _, s := range v {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b, nil
	}
	var buf bytes.Buffer
	buf.WriteByte(codecGob)
	if err := gob.NewEncoder(&buf).Encode(items); err != nil {
		var zero T
		return nil, fmt.Errorf("encode %T with encoding/gob (use a type with exported fields): %w", zero, err)
	}
	return buf.Bytes(), nil
}

// decodeSlice is the inverse of encodeSlice. It never panics on bad input.
func decodeSlice[T any](b []byte) ([]T, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty record", errCodec)
	}
	var out []T
	switch b[0] {
	case codecStrings, codecBytes:
		items, err := decodeLengthPrefixed(b[1:])
		if err != nil {
			return nil, err
		}
		switch p := any(&out).(type) {
		case *[]string:
			*p = make([]string, len(items))
			for i, it := range items {
				(*p)[i] = string(it)
			}
		case *[][]byte:
			*p = items
		default:
			var zero T
			return nil, fmt.Errorf("%w: record holds strings, the stream's type is %T", errCodec, zero)
		}
		return out, nil
	case codecGob:
		if err := gob.NewDecoder(bytes.NewReader(b[1:])).Decode(&out); err != nil {
			var zero T
			return nil, fmt.Errorf("%w: gob record as []%T: %w", errCodec, zero, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown codec %d", errCodec, b[0])
}

func decodeLengthPrefixed(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) { // every item takes at least one byte
		return nil, fmt.Errorf("%w: bad item count", errCodec)
	}
	b = b[k:]
	items := make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: item %d: bad length", errCodec, len(items))
		}
		items = append(items, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCodec, len(b))
	}
	return items, nil
}
