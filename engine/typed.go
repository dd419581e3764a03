package engine

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// typedRDD does for a node, whose RDDs are held as any, what needs their
// element type.
type typedRDD struct {
	// force computes every partition of r; a stateful node's RDD must
	// exist whole before the next. It returns how many keys r holds: its
	// records, or the keys its state partitions hold (stateKeyer).
	force func(ctx context.Context, r any) (int64, error)
	// encode and decode are a state snapshot's format (state_snapshot.go).
	encode func(ctx context.Context, r any) ([]byte, error)
	decode func(name string, b []byte) (any, error)
	// rddAt is the node's RDD at t (generated once), nil when none.
	rddAt  func(t time.Time) (any, error)
	parts  func(r any) int
	stages func(r any) []rdd.Stage
	// encodePartition computes partition p of r and encodes it.
	encodePartition func(ctx context.Context, r any, p int) ([]byte, error)
	// remoteInput is an RDD of parts partitions whose partition p is what
	// read returns, decoded: an input's RDD on an executor.
	remoteInput func(parts int, read func(ctx context.Context, p int) ([]byte, error)) any
}

func typedFor[T any](ds *DStream[T]) typedRDD {
	env := ds.ssc.env
	encode, decode := snapshotCodec[T](env)
	return typedRDD{
		force: func(ctx context.Context, r any) (int64, error) {
			rr, _ := r.(*RDD[T])
			if rr == nil {
				return 0, nil
			}
			var zero T
			_, statePartitions := any(zero).(stateKeyer) // decided once: boxing every record would cost
			var keys atomic.Int64
			err := rr.ForeachPartition(ctx, "materialize "+ds.n.kind, func(_ context.Context, _ int, items iter.Seq[T]) error {
				var n int64
				for x := range items {
					if statePartitions {
						n += int64(any(x).(stateKeyer).stateKeys())
					} else {
						n++
					}
				}
				keys.Add(n)
				return nil
			})
			return keys.Load(), err
		},
		encode: encode,
		decode: decode,
		rddAt: func(t time.Time) (any, error) {
			r, err := ds.rddAt(t)
			if r == nil {
				return nil, err
			}
			return r, err
		},
		parts:  func(r any) int { return r.(*RDD[T]).NumPartitions() },
		stages: func(r any) []rdd.Stage { return rdd.Stages(r.(*RDD[T])) },
		encodePartition: func(ctx context.Context, r any, p int) ([]byte, error) {
			var items []T
			if err := r.(*RDD[T]).Compute(ctx, p, func(x T) { items = append(items, x) }); err != nil {
				return nil, err
			}
			return encodeSlice(items)
		},
		remoteInput: func(parts int, read func(ctx context.Context, p int) ([]byte, error)) any {
			return rdd.Zip(env, parts, func(ctx context.Context, p int, emit func(T)) error {
				b, err := read(ctx, p)
				if err != nil {
					return err
				}
				items, err := decodeSlice[T](b)
				if err != nil {
					return fmt.Errorf("input partition %d from the driver: %w", p, err)
				}
				for _, x := range items {
					emit(x)
				}
				return nil
			})
		},
	}
}
