package rdd

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// samplesPerPartition is how many keys per output partition SortByKey
// samples to cut the key ranges (Spark's RangePartitioner takes 20).
const samplesPerPartition = 20

// SortByKey returns r's pairs sorted by key, ascending or descending, as
// Spark's sortByKey: parts partitions (parts < 1: the environment's
// parallelism) of consecutive key ranges, in order, each sorted, so Collect
// returns the pairs in key order. The ranges are cut at keys sampled from
// the whole data set, so partitions are of similar size unless a key is
// very frequent (all its pairs share a partition). Pairs of one key keep no
// particular order.
func SortByKey[K cmp.Ordered, V any](r *RDD[Pair[K, V]], ascending bool, parts int) *RDD[Pair[K, V]] {
	if parts < 1 {
		parts = r.env.Parallelism
	}
	byKey := func(a, b Pair[K, V]) int { return cmp.Compare(a.Key, b.Key) }
	// Each map task sorts its partition: one bucket, which every reduce
	// partition cuts its key range out of.
	st := newMapStage(r, 1, "sortByKey map", func(ctx context.Context, parent *RDD[Pair[K, V]], p int) ([][]Pair[K, V], error) {
		var all []Pair[K, V]
		if err := parent.compute(ctx, p, func(kv Pair[K, V]) { all = append(all, kv) }); err != nil {
			return nil, err
		}
		slices.SortFunc(all, byKey)
		return [][]Pair[K, V]{all}, nil
	})
	st.id = fmt.Sprintf("sortByKey map (%d partitions)", parts)
	rb := &rangeBounds[K, V]{stage: st, parts: parts}
	return &RDD[Pair[K, V]]{env: r.env, parts: parts, stages: st.lineage,
		compute: func(ctx context.Context, p int, emit func(Pair[K, V])) error {
			bounds, err := rb.get(ctx)
			if err != nil {
				return err
			}
			rng := p
			if !ascending {
				rng = parts - 1 - p
			}
			// range rng holds the keys in (bounds[rng-1], bounds[rng]]
			var out []Pair[K, V]
			for m := range st.maps {
				sorted, err := st.bucket(ctx, m, 0)
				if err != nil {
					return err
				}
				lo, hi := 0, len(sorted)
				if rng > 0 {
					lo = sort.Search(len(sorted), func(i int) bool { return cmp.Compare(sorted[i].Key, bounds[rng-1]) > 0 })
				}
				if rng < len(bounds) {
					hi = sort.Search(len(sorted), func(i int) bool { return cmp.Compare(sorted[i].Key, bounds[rng]) > 0 })
				}
				if lo < hi {
					out = append(out, sorted[lo:hi]...)
				}
			}
			if ascending {
				slices.SortStableFunc(out, byKey)
			} else {
				slices.SortStableFunc(out, func(a, b Pair[K, V]) int { return byKey(b, a) })
			}
			for _, kv := range out {
				emit(kv)
			}
			return nil
		}}
}

// rangeBounds cuts a SortByKey's key space into parts ranges at keys
// sampled evenly from its sorted map outputs, once for all reduce
// partitions (a failed attempt is not remembered: a retry computes it).
type rangeBounds[K cmp.Ordered, V any] struct {
	stage *mapStage[Pair[K, V], []Pair[K, V]]
	parts int

	mu     sync.Mutex
	bounds []K // parts-1 upper bounds, ascending; nil until computed
	done   bool
}

func (b *rangeBounds[K, V]) get(ctx context.Context) ([]K, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return b.bounds, nil
	}
	outs := make([][]Pair[K, V], b.stage.maps)
	total := 0
	for m := range outs {
		sorted, err := b.stage.bucket(ctx, m, 0)
		if err != nil {
			return nil, err
		}
		outs[m], total = sorted, total+len(sorted)
	}
	var bounds []K
	if b.parts > 1 && total > 0 {
		stride := max(1, total/(b.parts*samplesPerPartition))
		var samples []K // every stride-th pair of all outputs: each output in proportion to its size
		pos := 0
		for _, sorted := range outs {
			for _, kv := range sorted {
				if pos%stride == stride/2 {
					samples = append(samples, kv.Key)
				}
				pos++
			}
		}
		slices.Sort(samples)
		for j := 1; j < b.parts; j++ {
			bounds = append(bounds, samples[min(j*len(samples)/b.parts, len(samples)-1)])
		}
	}
	b.bounds, b.done = bounds, true
	return bounds, nil
}
