package rdd

import (
	"context"
	"fmt"
)

// GroupByKey gathers the values of each key into one slice, in the order
// they came (map partition by map partition), hash-partitioned into parts
// partitions (parts < 1: the environment's parallelism).
//
// It does not grow a slice per key as values come: a map task appends every
// value to one slice and notes its key's index, then sorts them by key in one
// pass (groups), and a reduce partition copies each key's runs into one
// slice of its own. Growing a slice per key cost a cache miss and, now and
// then, a copy per value: grouping was several times as slow as a reduce.
func GroupByKey[K comparable, V any](r *RDD[Pair[K, V]], parts int) *RDD[Pair[K, []V]] {
	if parts < 1 {
		parts = r.env.Parallelism
	}
	st := newMapStage(r, parts, "group map", func(ctx context.Context, parent *RDD[Pair[K, V]], p int) ([]groups[K, V], error) {
		var in arrivals[K, V]
		if err := parent.compute(ctx, p, in.add); err != nil {
			return nil, err
		}
		return in.split(parts), nil
	})
	st.id = fmt.Sprintf("group map (%d partitions)", parts)
	grouped := &RDD[Pair[K, []V]]{env: r.env, parts: parts, hashedBy: parts, stages: st.lineage,
		compute: func(ctx context.Context, p int, emit func(Pair[K, []V])) error {
			buckets := make([]groups[K, V], st.maps)
			for m := range buckets {
				b, err := st.bucket(ctx, m, p)
				if err != nil {
					return err
				}
				buckets[m] = b
			}
			mergeGroups(buckets, emit)
			return nil
		}}
	// Cached, as CombineByKey's result: a grouped RDD read twice is merged once.
	return grouped.Cache()
}

// arrivals is a map task's values in arrival order, each with its key's
// index (keys in order of first arrival), in chunks of a fixed size: a
// single slice would copy everything at each doubling.
type arrivals[K comparable, V any] struct {
	index  map[K]int32
	keys   []K
	chunks []arrivalChunk[V]
}

type arrivalChunk[V any] struct {
	keyOf  []int32
	values []V
}

const arrivalChunkLen = 8192

func (a *arrivals[K, V]) add(kv Pair[K, V]) {
	if a.index == nil {
		a.index = map[K]int32{}
	}
	i, ok := a.index[kv.Key]
	if !ok {
		i = int32(len(a.keys))
		a.index[kv.Key] = i
		a.keys = append(a.keys, kv.Key)
	}
	if len(a.chunks) == 0 || len(a.chunks[len(a.chunks)-1].keyOf) == arrivalChunkLen {
		a.chunks = append(a.chunks, arrivalChunk[V]{make([]int32, 0, arrivalChunkLen), make([]V, 0, arrivalChunkLen)})
	}
	c := &a.chunks[len(a.chunks)-1]
	c.keyOf = append(c.keyOf, i)
	c.values = append(c.values, kv.Value)
}

// groups is one map task's output for one reduce partition: key i's values
// are Values[Ends[i-1]:Ends[i]] (from 0 for the first), in arrival order.
// Its fields are exported for encoding/gob: outputs may cross processes.
type groups[K comparable, V any] struct {
	Keys   []K
	Ends   []int
	Values []V
}

// split sorts the values by key, stably (a counting sort), into one groups
// per reduce partition.
func (a *arrivals[K, V]) split(parts int) []groups[K, V] {
	counts := make([]int, len(a.keys))
	for _, c := range a.chunks {
		for _, i := range c.keyOf {
			counts[i]++
		}
	}
	out := make([]groups[K, V], parts)
	bucket := make([]int32, len(a.keys))
	next := make([]int, len(a.keys)) // where key i's next value goes in its bucket
	for i, k := range a.keys {
		b := PartitionOf(k, parts)
		g := &out[b]
		bucket[i] = int32(b)
		next[i] = g.len()
		g.Keys = append(g.Keys, k)
		g.Ends = append(g.Ends, next[i]+counts[i])
	}
	for b := range out {
		out[b].Values = make([]V, out[b].len())
	}
	for _, c := range a.chunks {
		for j, i := range c.keyOf {
			out[bucket[i]].Values[next[i]] = c.values[j]
			next[i]++
		}
	}
	return out
}

// len is the number of values.
func (g *groups[K, V]) len() int {
	if len(g.Ends) == 0 {
		return 0
	}
	return g.Ends[len(g.Ends)-1]
}

// mergeGroups emits every key of the buckets once, with its values from
// each bucket in turn, all in one slice per reduce partition. Each key's
// slice is capped at its length, so appending to it cannot overwrite the
// next key's values.
func mergeGroups[K comparable, V any](buckets []groups[K, V], emit func(Pair[K, []V])) {
	index := map[K]int{}
	var keys []K
	var sizes []int
	total := 0
	for _, b := range buckets {
		start := 0
		for i, k := range b.Keys {
			n := b.Ends[i] - start
			start = b.Ends[i]
			j, ok := index[k]
			if !ok {
				j = len(keys)
				index[k] = j
				keys, sizes = append(keys, k), append(sizes, 0)
			}
			sizes[j] += n
			total += n
		}
	}
	all := make([]V, total)
	ends := make([]int, len(keys)) // where key j's values are filled up to
	at := 0
	for j, n := range sizes {
		ends[j] = at
		at += n
	}
	for _, b := range buckets {
		start := 0
		for i, k := range b.Keys {
			j := index[k]
			ends[j] += copy(all[ends[j]:], b.Values[start:b.Ends[i]])
			start = b.Ends[i]
		}
	}
	for j, k := range keys {
		from := ends[j] - sizes[j]
		emit(Pair[K, []V]{k, all[from:ends[j]:ends[j]]})
	}
}
