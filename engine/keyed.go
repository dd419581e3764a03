package engine

import (
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// Combiner says how values of one key fold into a combined value.
type Combiner[V, C any] = rdd.Combiner[V, C]

// The keyed operators below take an optional number of partitions; the
// default is gostream.default.parallelism (or the number of task slots).

// ReduceByKey merges the values of each key per batch with f.
func ReduceByKey[K comparable, V any](d *DStream[Pair[K, V]], f func(V, V) V, numPartitions ...int) *DStream[Pair[K, V]] {
	parts := d.ssc.partitions(numPartitions)
	return derive(d, "reduceByKey", "", func(r *RDD[Pair[K, V]]) *RDD[Pair[K, V]] { return rdd.ReduceByKey(r, f, parts) })
}

// GroupByKey gathers the values of each key per batch.
func GroupByKey[K comparable, V any](d *DStream[Pair[K, V]], numPartitions ...int) *DStream[Pair[K, []V]] {
	parts := d.ssc.partitions(numPartitions)
	return derive(d, "groupByKey", "", func(r *RDD[Pair[K, V]]) *RDD[Pair[K, []V]] { return rdd.GroupByKey(r, parts) })
}

// CombineByKey folds the values of each key per batch with cb.
func CombineByKey[K comparable, V, C any](d *DStream[Pair[K, V]], cb Combiner[V, C], numPartitions ...int) *DStream[Pair[K, C]] {
	parts := d.ssc.partitions(numPartitions)
	return derive(d, "combineByKey", "", func(r *RDD[Pair[K, V]]) *RDD[Pair[K, C]] { return rdd.CombineByKey(r, cb, parts) })
}

// MapValues applies f to each value, keeping the keys.
func MapValues[K comparable, V, W any](d *DStream[Pair[K, V]], f func(V) W) *DStream[Pair[K, W]] {
	return derive(d, "mapValues", "", func(r *RDD[Pair[K, V]]) *RDD[Pair[K, W]] { return rdd.MapValues(r, f) })
}

// join2 builds a two-parent keyed operator applied batch by batch.
func join2[K comparable, V, W, R any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], kind string,
	f func(*RDD[Pair[K, V]], *RDD[Pair[K, W]]) *RDD[R]) *DStream[R] {
	return twoParents(a, b, kind, a.n.remoteOK && b.n.remoteOK, func(ra *RDD[Pair[K, V]], rb *RDD[Pair[K, W]], _ time.Time) (*RDD[R], error) {
		return f(ra, rb), nil
	})
}

func orEmpty[T any](ssc *Context, r *RDD[T]) *RDD[T] {
	if r == nil {
		return rdd.Empty[T](ssc.env)
	}
	return r
}

// Join pairs, per batch, every value of a key in a with every value of it in b.
func Join[K comparable, V, W any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], numPartitions ...int) *DStream[Pair[K, Joined[V, W]]] {
	parts := a.ssc.partitions(numPartitions)
	return join2(a, b, "join", func(x *RDD[Pair[K, V]], y *RDD[Pair[K, W]]) *RDD[Pair[K, Joined[V, W]]] {
		return rdd.Join(x, y, parts)
	})
}

// LeftOuterJoin is Join that keeps a's keys missing from b.
func LeftOuterJoin[K comparable, V, W any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], numPartitions ...int) *DStream[Pair[K, Joined[V, Opt[W]]]] {
	parts := a.ssc.partitions(numPartitions)
	return join2(a, b, "leftOuterJoin", func(x *RDD[Pair[K, V]], y *RDD[Pair[K, W]]) *RDD[Pair[K, Joined[V, Opt[W]]]] {
		return rdd.LeftOuterJoin(x, y, parts)
	})
}

// RightOuterJoin is Join that keeps b's keys missing from a.
func RightOuterJoin[K comparable, V, W any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], numPartitions ...int) *DStream[Pair[K, Joined[Opt[V], W]]] {
	parts := a.ssc.partitions(numPartitions)
	return join2(a, b, "rightOuterJoin", func(x *RDD[Pair[K, V]], y *RDD[Pair[K, W]]) *RDD[Pair[K, Joined[Opt[V], W]]] {
		return rdd.RightOuterJoin(x, y, parts)
	})
}

// FullOuterJoin is Join that keeps keys found on one side only.
func FullOuterJoin[K comparable, V, W any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], numPartitions ...int) *DStream[Pair[K, Joined[Opt[V], Opt[W]]]] {
	parts := a.ssc.partitions(numPartitions)
	return join2(a, b, "fullOuterJoin", func(x *RDD[Pair[K, V]], y *RDD[Pair[K, W]]) *RDD[Pair[K, Joined[Opt[V], Opt[W]]]] {
		return rdd.FullOuterJoin(x, y, parts)
	})
}

// CoGroup gathers, per batch and key, every value of both streams.
func CoGroup[K comparable, V, W any](a *DStream[Pair[K, V]], b *DStream[Pair[K, W]], numPartitions ...int) *DStream[Pair[K, CoGrouped[V, W]]] {
	parts := a.ssc.partitions(numPartitions)
	return join2(a, b, "cogroup", func(x *RDD[Pair[K, V]], y *RDD[Pair[K, W]]) *RDD[Pair[K, CoGrouped[V, W]]] {
		return rdd.CoGroup(x, y, parts)
	})
}
