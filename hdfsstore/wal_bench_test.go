package hdfsstore

import (
	"bytes"
	"fmt"
	"path"
	"testing"
)

var walBenchCases = []struct {
	records, size int
}{
	{200, 100},      // a block interval of small events
	{1, 2 << 20},    // one 2 MiB block
	{1000, 1 << 10}, // a busier interval
}

// BenchmarkWALWriteSegment measures group commit on the local FS: each
// iteration writes and commits (fsync file and directory) one segment.
func BenchmarkWALWriteSegment(b *testing.B) {
	for _, bc := range walBenchCases {
		b.Run(fmt.Sprintf("%dx%dB", bc.records, bc.size), func(b *testing.B) {
			w, err := NewWAL(NewLocal(), path.Join(b.TempDir(), "wal"), "bench")
			if err != nil {
				b.Fatal(err)
			}
			recs := make([][]byte, bc.records)
			for i := range recs {
				recs[i] = bytes.Repeat([]byte{byte(i)}, bc.size)
			}
			ctx := b.Context()
			b.SetBytes(int64(bc.records * bc.size))
			i := 0
			for b.Loop() {
				if _, err := w.WriteSegment(ctx, walTime(i*200), walTime(i*200+200), recs); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "segments/s")
		})
	}
}

// BenchmarkWALReadSegment measures reading and verifying a whole segment.
func BenchmarkWALReadSegment(b *testing.B) {
	for _, bc := range walBenchCases {
		b.Run(fmt.Sprintf("%dx%dB", bc.records, bc.size), func(b *testing.B) {
			w, err := NewWAL(NewLocal(), path.Join(b.TempDir(), "wal"), "bench")
			if err != nil {
				b.Fatal(err)
			}
			recs := make([][]byte, bc.records)
			for i := range recs {
				recs[i] = bytes.Repeat([]byte{byte(i)}, bc.size)
			}
			ctx := b.Context()
			ref, err := w.WriteSegment(ctx, walTime(0), walTime(200), recs)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(bc.records * bc.size))
			for b.Loop() {
				if _, err := ReadSegment(ctx, w.fsys, ref.Path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
