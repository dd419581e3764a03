package engine

import (
	"errors"
	"slices"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	strs := []string{"", "a", "héllo wörld", string(make([]byte, 300))}
	b, err := encodeSlice(strs)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeSlice[string](b); err != nil || !slices.Equal(got, strs) {
		t.Fatalf("strings: %q, %v", got, err)
	}
	raw := [][]byte{{1, 2}, {}, {255}}
	b, _ = encodeSlice(raw)
	if got, err := decodeSlice[[]byte](b); err != nil || len(got) != 3 || got[2][0] != 255 {
		t.Fatalf("bytes: %v, %v", got, err)
	}
	pairs := []Pair[string, int64]{KV("a", int64(1)), KV("b", int64(-7))}
	b, _ = encodeSlice(pairs)
	if got, err := decodeSlice[Pair[string, int64]](b); err != nil || !slices.Equal(got, pairs) {
		t.Fatalf("gob pairs: %v, %v", got, err)
	}
}

func TestCodecBadInputIsAnErrorNotAPanic(t *testing.T) {
	good, _ := encodeSlice([]string{"abc", "de"})
	inputs := [][]byte{nil, {0}, {9, 1}, {codecStrings}, {codecStrings, 200}, {codecGob, 1, 2, 3}}
	for i := range good { // every truncation
		inputs = append(inputs, good[:i])
	}
	for _, in := range inputs {
		if _, err := decodeSlice[string](in); err == nil && len(in) != len(good) {
			t.Errorf("decode %v: no error", in)
		} else if err != nil && !errors.Is(err, errCodec) {
			t.Errorf("decode %v: %v is not errCodec", in, err)
		}
	}
	if _, err := decodeSlice[int](good); !errors.Is(err, errCodec) {
		t.Errorf("strings decoded as ints: %v", err)
	}
}
