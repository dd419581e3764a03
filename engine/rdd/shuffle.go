package rdd

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
)

// Shuffle map outputs may live in other processes: when a map task ran on
// an executor, the executor keeps its buckets and the reduce side reads them
// through the Env's ShuffleReader. Buckets cross process boundaries encoded
// with encoding/gob, so shuffled keys and values must be gob-encodable.

// MapOutput says where one map task's buckets are.
type MapOutput struct {
	Executor string `json:"executor"` // who holds them
	Addr     string `json:"addr"`     // its shuffle server, host:port
	Key      string `json:"key"`      // the buckets' name there
}

// ShuffleReader reads map outputs held by other processes.
type ShuffleReader interface {
	// ReadBucket returns the encoded bucket for reduce partition reduce of
	// the map output at out. An error wrapping task.ErrExecutorLost (the
	// holder is gone) or task.ErrOutputMissing (it no longer has it) means
	// the output is lost, and the reader computes it again; any other
	// error (refused credentials, say) is the reader's failure.
	ReadBucket(ctx context.Context, out MapOutput, reduce int) ([]byte, error)
}

// encodeBuckets encodes one map task's buckets, one per reduce partition.
func encodeBuckets[B any](buckets []B) ([][]byte, error) {
	out := make([][]byte, len(buckets))
	for i, b := range buckets {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&b); err != nil {
			return nil, fmt.Errorf("encode shuffle bucket %d with encoding/gob (keys and values must have exported fields): %w", i, err)
		}
		out[i] = buf.Bytes()
	}
	return out, nil
}

// decodeBucket is the inverse of encodeBuckets for one bucket.
func decodeBucket[B any](data []byte) (B, error) {
	var b B
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&b); err != nil {
		return b, fmt.Errorf("decode shuffle bucket: %w", err)
	}
	return b, nil
}
