package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"iter"

	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/hdfsstore"
)

// A state snapshot is one generated RDD of one node saved whole, so that
// recovery can put it back instead of recomputing its lineage. File
// <checkpointDir>/state/<nodeId>-<batchTimeMs>, written atomically:
//
//	magic "GSSN" | version byte = 1 | uvarint partitions | uvarint hashedBy |
//	per partition: uvarint length | that many bytes (codec.go's encodeSlice) |
//	crc uint32 big-endian, CRC-32C of everything before it
const (
	snapshotMagic   = "GSSN"
	snapshotVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshotCodec builds the encode/decode hooks of a node whose elements are T.
// decode reports a file that is not a whole snapshot (bad magic, truncated,
// a checksum mismatch) as an *hdfsstore.CorruptError naming it, which
// recovery tells from other failures: it tries an older checkpoint.
func snapshotCodec[T any](env *rdd.Env) (func(ctx context.Context, r any) ([]byte, error), func(name string, b []byte) (any, error)) {
	encode := func(ctx context.Context, r any) ([]byte, error) {
		rr, ok := r.(*RDD[T])
		if !ok {
			return nil, fmt.Errorf("snapshot: %T is not an RDD of the node's type", r)
		}
		if rr == nil {
			return nil, nil // no RDD at this time: nothing to save
		}
		parts := make([][]byte, rr.NumPartitions())
		err := rr.ForeachPartition(ctx, "snapshot", func(_ context.Context, p int, items iter.Seq[T]) error {
			var all []T
			for x := range items {
				all = append(all, x)
			}
			b, err := encodeSlice(all)
			parts[p] = b
			return err
		})
		if err != nil {
			return nil, err
		}
		b := append([]byte(snapshotMagic), snapshotVersion)
		b = binary.AppendUvarint(b, uint64(len(parts)))
		b = binary.AppendUvarint(b, uint64(max(rr.HashedBy(), 0)))
		for _, p := range parts {
			b = binary.AppendUvarint(b, uint64(len(p)))
			b = append(b, p...)
		}
		return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
	}
	decode := func(name string, b []byte) (any, error) {
		damaged := func(p hdfsstore.Problem, detail string) error {
			return &hdfsstore.CorruptError{Kind: hdfsstore.KindSnapshot, Path: name, Problem: p, Detail: detail}
		}
		if n := min(len(b), len(snapshotMagic)); string(b[:n]) != snapshotMagic[:n] {
			return nil, damaged(hdfsstore.ProblemBadMagic, fmt.Sprintf("starts with %q, want %q", b[:n], snapshotMagic))
		}
		if len(b) < len(snapshotMagic)+1+4 {
			return nil, damaged(hdfsstore.ProblemTruncated, fmt.Sprintf("%d bytes, shorter than a snapshot's header and checksum", len(b)))
		}
		body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
		if crc := crc32.Checksum(body, castagnoli); crc != sum {
			return nil, damaged(hdfsstore.ProblemChecksum, fmt.Sprintf("%d bytes, stored CRC %#08x, computed %#08x (truncated or overwritten)", len(b), sum, crc))
		}
		if body[4] != snapshotVersion {
			return nil, fmt.Errorf("%w: state snapshot version %d, this binary reads %d", ErrCheckpointVersion, body[4], snapshotVersion)
		}
		body = body[5:]
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)) {
			return nil, fmt.Errorf("%w: state snapshot: bad partition count", errCodec)
		}
		body = body[k:]
		hashed, k := binary.Uvarint(body)
		if k <= 0 || hashed > 1<<20 {
			return nil, fmt.Errorf("%w: state snapshot: bad partitioning", errCodec)
		}
		body = body[k:]
		parts := make([][]T, n)
		for p := range parts {
			l, k := binary.Uvarint(body)
			if k <= 0 || l > uint64(len(body)-k) {
				return nil, fmt.Errorf("%w: state snapshot: partition %d truncated", errCodec, p)
			}
			items, err := decodeSlice[T](body[k : k+int(l)])
			if err != nil {
				return nil, fmt.Errorf("state snapshot partition %d: %w", p, err)
			}
			parts[p], body = items, body[k+int(l):]
		}
		out := rdd.FromPartitions(env, parts)
		if hashed > 0 {
			out = out.AssumeHashedBy(int(hashed))
		}
		return out, nil
	}
	return encode, decode
}

// GobEncode saves a MapWithState partition's states (the mapped records
// belong to their batch and are not state).
func (sp statePartition[K, S, M]) GobEncode() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(sp.states); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// GobDecode is the inverse of GobEncode.
func (sp *statePartition[K, S, M]) GobDecode(b []byte) error {
	return gob.NewDecoder(bytes.NewReader(b)).Decode(&sp.states)
}
