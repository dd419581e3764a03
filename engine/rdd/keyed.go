package rdd

import (
	"context"
	"fmt"
	"iter"
)

// Combiner says how values of one key fold into a combined value C, as in
// Spark's combineByKey. MergeValue and MergeCombiners may modify and return
// their first argument: every combiner is owned by exactly one task.
type Combiner[V, C any] struct {
	Create         func(V) C
	MergeValue     func(C, V) C
	MergeCombiners func(C, C) C
}

// CombineByKey folds the values of each key with cb, combining on the map
// side, and hash-partitions the result into parts partitions (parts < 1: the
// environment's parallelism). Each key appears once in the result.
func CombineByKey[K comparable, V, C any](r *RDD[Pair[K, V]], cb Combiner[V, C], parts int) *RDD[Pair[K, C]] {
	if parts < 1 {
		parts = r.env.Parallelism
	}
	st := newMapStage(r, parts, "shuffle map", func(ctx context.Context, parent *RDD[Pair[K, V]], p int) ([]map[K]*C, error) {
		combined := map[K]*C{}
		err := parent.compute(ctx, p, func(kv Pair[K, V]) {
			if c, ok := combined[kv.Key]; ok {
				*c = cb.MergeValue(*c, kv.Value)
				return
			}
			c := cb.Create(kv.Value)
			combined[kv.Key] = &c
		})
		if err != nil {
			return nil, err
		}
		if parts == 1 {
			return []map[K]*C{combined}, nil
		}
		buckets := make([]map[K]*C, parts)
		for i := range buckets {
			buckets[i] = make(map[K]*C, len(combined)/parts+1)
		}
		for k, c := range combined {
			buckets[PartitionOf(k, parts)][k] = c
		}
		return buckets, nil
	})
	st.id = fmt.Sprintf("shuffle map (%d partitions)", parts)
	reduced := &RDD[Pair[K, C]]{env: r.env, parts: parts, hashedBy: parts, stages: st.lineage,
		compute: func(ctx context.Context, p int, emit func(Pair[K, C])) error {
			merged := map[K]C{}
			for m := range st.maps {
				bucket, err := st.bucket(ctx, m, p)
				if err != nil {
					return err
				}
				for k, c := range bucket {
					if prev, ok := merged[k]; ok {
						merged[k] = cb.MergeCombiners(prev, *c)
					} else {
						merged[k] = *c
					}
				}
			}
			for k, c := range merged {
				emit(Pair[K, C]{k, c})
			}
			return nil
		}}
	// Cached so that each map output is merged once: combiners stay owned by
	// one task, and a shuffled RDD read by two jobs is not reduced twice.
	return reduced.Cache()
}

// ReduceByKey merges the values of each key with the associative function f.
func ReduceByKey[K comparable, V any](r *RDD[Pair[K, V]], f func(V, V) V, parts int) *RDD[Pair[K, V]] {
	return CombineByKey(r, Combiner[V, V]{Create: func(v V) V { return v }, MergeValue: f, MergeCombiners: f}, parts)
}

// MapValues applies f to each value, keeping keys and their partitioning.
func MapValues[K comparable, V, W any](r *RDD[Pair[K, V]], f func(V) W) *RDD[Pair[K, W]] {
	out := Map(r, func(kv Pair[K, V]) Pair[K, W] { return Pair[K, W]{kv.Key, f(kv.Value)} })
	out.hashedBy = r.hashedBy
	return out
}

// FlatMapValues replaces each pair by one pair per value f yields for its
// value, keeping the key and the partitioning.
func FlatMapValues[K comparable, V, W any](r *RDD[Pair[K, V]], f func(V) iter.Seq[W]) *RDD[Pair[K, W]] {
	out := FlatMap(r, func(kv Pair[K, V]) iter.Seq[Pair[K, W]] {
		return func(yield func(Pair[K, W]) bool) {
			for w := range f(kv.Value) {
				if !yield(Pair[K, W]{kv.Key, w}) {
					return
				}
			}
		}
	})
	out.hashedBy = r.hashedBy
	return out
}

// CountByValue counts the occurrences of each distinct element.
func CountByValue[T comparable](r *RDD[T], parts int) *RDD[Pair[T, int64]] {
	return ReduceByKey(Map(r, func(x T) Pair[T, int64] { return Pair[T, int64]{x, 1} }), sum, parts)
}

// ReduceAll folds every element with f into a single-partition RDD holding
// one element, or none when r is empty.
func ReduceAll[T any](r *RDD[T], f func(T, T) T) *RDD[T] {
	keyed := Map(r, func(x T) Pair[struct{}, T] { return Pair[struct{}, T]{Value: x} })
	return Map(ReduceByKey(keyed, f, 1), func(kv Pair[struct{}, T]) T { return kv.Value })
}

// CountAll returns a single-partition RDD holding the number of elements
// (zero included), as Spark's DStream.count does.
func CountAll[T any](r *RDD[T]) *RDD[int64] {
	ones := Map(r, func(T) int64 { return 1 })
	zero := FromPartitions(r.env, [][]int64{{0}})
	return ReduceAll(Union(r.env, ones, zero), sum)
}

func sum(a, b int64) int64 { return a + b }

// HashedBy is the number of partitions r's keys are hash-partitioned into by
// PartitionOf, or 0 when r is not known to be partitioned that way.
func (r *RDD[T]) HashedBy() int { return r.hashedBy }

// AssumeHashedBy declares that r's Pair keys are already placed by
// PartitionOf(key, n); keyed operators then skip shuffling it.
func (r *RDD[T]) AssumeHashedBy(n int) *RDD[T] {
	out := *r
	out.hashedBy = n
	return &out
}
