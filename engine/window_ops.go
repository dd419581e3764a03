package engine

import "time"

// GroupByKeyAndWindow gathers the values of each key over each window
// (Spark's groupByKeyAndWindow: the batches' groups, windowed, merged).
// Both durations must be multiples of the stream's slide duration.
func GroupByKeyAndWindow[K comparable, V any](d *DStream[Pair[K, V]], window, slide time.Duration, numPartitions ...int) *DStream[Pair[K, []V]] {
	if !checkWindow(d.ssc, "groupByKeyAndWindow", d.n, window, slide) {
		window, slide = d.n.slide, d.n.slide // reported; build on
	}
	windowed := GroupByKey(d, numPartitions...).Window(window, slide)
	return CombineByKey(windowed, Combiner[[]V, []V]{
		Create:         func(vs []V) []V { return vs },
		MergeValue:     func(c, vs []V) []V { return append(c, vs...) },
		MergeCombiners: func(a, b []V) []V { return append(a, b...) },
	}, numPartitions...)
}

// ReduceByWindowInv folds every element of each window with f,
// incrementally as Spark's reduceByWindow with an inverse function: the
// previous window's result, plus the batches that entered (f), minus those
// that left (inv). Once the stream had an element, every window has a
// result, the inverse's of an emptied window included (e.g. 0 for a sum),
// where ReduceByWindow has none. It needs a checkpoint directory, as in
// Spark. (A function, not a method like ReduceByWindow: a method of
// DStream[T] cannot build the DStream[Pair[…, T]] it works on in Go.)
func ReduceByWindowInv[T any](d *DStream[T], f, inv func(T, T) T, window, slide time.Duration) *DStream[T] {
	if !checkWindow(d.ssc, "reduceByWindow", d.n, window, slide) {
		window, slide = d.n.slide, d.n.slide // reported; build on
	}
	keyed := Map(d, func(x T) Pair[struct{}, T] { return Pair[struct{}, T]{Value: x} })
	reduced := ReduceByKeyAndWindowInv(keyed, f, inv, window, slide, nil, 1)
	out := Map(reduced, func(kv Pair[struct{}, T]) T { return kv.Value })
	out.n.stateOf = reduced.n // Checkpoint on the result sets the window state's interval
	return out
}
