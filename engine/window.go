package engine

import (
	"fmt"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// checkWindow reports, as a graph error, a window or slide that is not a
// positive multiple of the parent's slide duration.
func checkWindow(ssc *Context, op string, parent *node, window, slide time.Duration) bool {
	return checkMultiple(ssc, op, parent, "window duration", window) &&
		checkMultiple(ssc, op, parent, "slide duration", slide)
}

// checkMultiple reports, as a graph error, a duration (what) of operator op
// on n that is not a positive multiple of n's slide duration.
func checkMultiple(ssc *Context, op string, n *node, what string, v time.Duration) bool {
	if v > 0 && v%n.slide == 0 {
		return true
	}
	ssc.graphError(fmt.Errorf("%s on operator #%d (%s): %s %s must be a positive multiple of the stream's slide duration %s (e.g. %s)",
		op, n.id, n.kind, what, v, n.slide, n.slide*((v+n.slide-1)/n.slide+boolInt(v <= 0))))
	return false
}

func boolInt(b bool) time.Duration {
	if b {
		return 1
	}
	return 0
}

func slideMismatch(op, a, b string, sa, sb time.Duration) error {
	return fmt.Errorf("%s of %s and %s: slide durations differ (%s vs %s); both streams need the same slide duration", op, a, b, sa, sb)
}

// Window returns a stream whose RDD at each slide holds every element of
// this stream's batches in the last window duration. Both durations must be
// multiples of this stream's slide duration.
func (d *DStream[T]) Window(window, slide time.Duration) *DStream[T] {
	if !checkWindow(d.ssc, "window", d.n, window, slide) {
		slide = d.n.slide
	}
	d.n.persist = true // every batch's RDD is read by several windows
	d.n.eager = true
	n := &node{kind: "window", params: fmt.Sprintf("window=%s", window), parents: []*node{d.n},
		slide: slide, parentExtra: window}
	return newStream(d.ssc, n, func(t time.Time) (*RDD[T], error) {
		rs, err := d.slice(t.Add(-window), t)
		if err != nil {
			return nil, err
		}
		return rdd.Union(d.ssc.env, rs...), nil
	})
}

// CountByWindow counts the elements in each window, incrementally as Spark
// does (so it needs a checkpoint directory).
func (d *DStream[T]) CountByWindow(window, slide time.Duration) *DStream[int64] {
	ones := Map(d, func(T) Pair[struct{}, int64] { return Pair[struct{}, int64]{Value: 1} })
	counts := ReduceByKeyAndWindowInv(ones, addInt64, subInt64, window, slide, nil, 1)
	out := Map(counts, func(kv Pair[struct{}, int64]) int64 { return kv.Value })
	out.n.stateOf = counts.n // Checkpoint on the count sets the window state's interval
	return out
}

func addInt64(a, b int64) int64 { return a + b }
func subInt64(a, b int64) int64 { return a - b }

// ReduceByWindow folds every element of each window with f.
func (d *DStream[T]) ReduceByWindow(f func(T, T) T, window, slide time.Duration) *DStream[T] {
	return d.Reduce(f).Window(window, slide).Reduce(f)
}

// ReduceByKeyAndWindow merges the values of each key over each window with
// f, recomputing the whole window at every slide.
func ReduceByKeyAndWindow[K comparable, V any](d *DStream[Pair[K, V]], f func(V, V) V, window, slide time.Duration, numPartitions ...int) *DStream[Pair[K, V]] {
	return ReduceByKey(ReduceByKey(d, f, numPartitions...).Window(window, slide), f, numPartitions...)
}

// ReduceByKeyAndWindowInv merges the values of each key over each window
// incrementally: the previous window's result plus the batches that entered
// (with f) minus the batches that left (with the inverse function inv). keep,
// when not nil, decides which keys stay in the window's state — pass it to
// drop keys whose value fell back to zero, or the state keeps every key ever
// seen. It needs a checkpoint directory, as in Spark.
func ReduceByKeyAndWindowInv[K comparable, V any](d *DStream[Pair[K, V]], f, inv func(V, V) V, window, slide time.Duration,
	keep func(Pair[K, V]) bool, numPartitions ...int) *DStream[Pair[K, V]] {
	parts := d.ssc.partitions(numPartitions)
	reduced := ReduceByKey(d, f, parts)
	if !checkWindow(d.ssc, "reduceByKeyAndWindow", reduced.n, window, slide) {
		slide = reduced.n.slide
	}
	reduced.n.persist, reduced.n.eager = true, true
	n := &node{kind: "reduceByKeyAndWindow", params: fmt.Sprintf("window=%s inverse=true", window),
		parents: []*node{reduced.n}, slide: slide, parentExtra: window + slide,
		persist: true, stateful: true, remember: slide}
	var self *DStream[Pair[K, V]]
	self = newStream(d.ssc, n, func(t time.Time) (*RDD[Pair[K, V]], error) {
		// (t-window-slide, t-window] left the window; (t-slide, t] entered it.
		olds, err := reduced.slice(t.Add(-window-slide), t.Add(-window))
		if err != nil {
			return nil, err
		}
		news, err := reduced.slice(t.Add(-slide), t)
		if err != nil {
			return nil, err
		}
		prev, err := self.rddAt(t.Add(-slide))
		if err != nil {
			return nil, err
		}
		env := d.ssc.env
		type delta struct {
			v   V
			old bool
		}
		var tagged []*RDD[Pair[K, delta]]
		for _, r := range olds {
			tagged = append(tagged, rdd.MapValues(r, func(v V) delta { return delta{v, true} }))
		}
		for _, r := range news {
			tagged = append(tagged, rdd.MapValues(r, func(v V) delta { return delta{v, false} }))
		}
		grouped := rdd.CoGroup(orEmpty(d.ssc, prev), rdd.Union(env, tagged...), parts)
		folded := rdd.Map(grouped, func(kv Pair[K, CoGrouped[V, delta]]) Pair[K, Opt[V]] {
			acc := Opt[V]{}
			if len(kv.Value.Left) > 0 {
				acc = Some(kv.Value.Left[0])
			}
			for _, dv := range kv.Value.Right {
				switch {
				case dv.old && acc.Ok:
					acc.Value = inv(acc.Value, dv.v)
				case dv.old: // left a window we never held: nothing to take away
				case acc.Ok:
					acc.Value = f(acc.Value, dv.v)
				default:
					acc = Some(dv.v)
				}
			}
			return KV(kv.Key, acc)
		})
		kept := rdd.Filter(folded, func(kv Pair[K, Opt[V]]) bool {
			return kv.Value.Ok && (keep == nil || keep(KV(kv.Key, kv.Value.Value)))
		})
		out := rdd.Map(kept, func(kv Pair[K, Opt[V]]) Pair[K, V] { return KV(kv.Key, kv.Value.Value) })
		return out.AssumeHashedBy(parts), nil
	})
	return self
}

// CountByValueAndWindow counts each distinct element over each window,
// incrementally; elements whose count falls to zero leave the state.
func CountByValueAndWindow[T comparable](d *DStream[T], window, slide time.Duration, numPartitions ...int) *DStream[Pair[T, int64]] {
	ones := Map(d, func(x T) Pair[T, int64] { return KV(x, int64(1)) })
	return ReduceByKeyAndWindowInv(ones, addInt64, subInt64, window, slide, func(kv Pair[T, int64]) bool { return kv.Value != 0 }, numPartitions...)
}
