package hdfsstore

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseSegment feeds arbitrary bytes to the segment reader: it must
// never panic, and whatever it returns must be true to the input.
func FuzzParseSegment(f *testing.F) {
	f.Add(buildSegment())
	f.Add(buildSegment([]byte("one")))
	f.Add(buildSegment([]byte("a"), nil, bytes.Repeat([]byte("xyz"), 100)))
	full := buildSegment([]byte("torn"), []byte("tail"))
	f.Add(full[:len(full)-5])
	f.Add([]byte("GSWL\x00\x02\x00\x00"))
	f.Add([]byte("GSWL\x00\x01\x00\x00\xff\xff\xff\xfe\x00\x00\x00\x00"))
	f.Add([]byte("not a segment"))

	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseSegment("fuzz", data)
		var ce *CorruptError
		var ve *VersionError
		if err != nil && !errors.As(err, &ce) && !errors.As(err, &ve) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, r := range recs {
			end := r.Ref.Offset + recordHeaderSize + int64(r.Ref.Length)
			if r.Ref.Offset < walHeaderSize || end > int64(len(data)) ||
				!bytes.Equal(r.Data, data[r.Ref.Offset+recordHeaderSize:end]) {
				t.Fatalf("record %v does not match the input", r.Ref)
			}
		}
		if ce != nil && (ce.Records != len(recs) || ce.Offset < 0 || ce.Offset > int64(len(data))) {
			t.Fatalf("report %+v inconsistent with %d records of %d bytes", ce, len(recs), len(data))
		}
		if err == nil {
			// A segment the reader accepts is exactly what the writer makes.
			payloads := make([][]byte, len(recs))
			for i, r := range recs {
				payloads[i] = r.Data
			}
			if !bytes.Equal(buildSegment(payloads...), data) {
				t.Fatalf("accepted input is not the canonical encoding of its records")
			}
		}
	})
}
