package engine

import (
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// RDD is the batch dataset a DStream produces at each batch time.
type RDD[T any] = rdd.RDD[T]

// Pair is a key-value element, the input of every keyed operator.
type Pair[K comparable, V any] = rdd.Pair[K, V]

// Opt is a value that may be absent.
type Opt[T any] = rdd.Opt[T]

// Joined is the value of a joined pair. CoGrouped holds every value of both
// sides for one key.
type (
	Joined[V, W any]    = rdd.Joined[V, W]
	CoGrouped[V, W any] = rdd.CoGrouped[V, W]
)

// KV makes a Pair.
func KV[K comparable, V any](k K, v V) Pair[K, V] { return rdd.KV(k, v) }

// Some makes a present Opt.
func Some[T any](v T) Opt[T] { return rdd.Some(v) }

// DStream is a discretized stream: a sequence of RDDs, one per slide
// interval, built from its parents' RDDs by the same transformation.
type DStream[T any] struct {
	ssc     *Context
	n       *node
	compute func(t time.Time) (*RDD[T], error)
}

// Context returns the streaming context the stream belongs to.
func (d *DStream[T]) Context() *Context { return d.ssc }

// SlideDuration is the interval between the stream's RDDs.
func (d *DStream[T]) SlideDuration() time.Duration { return d.n.slide }

// Named gives the operator a name, shown in messages and part of the graph
// fingerprint, so that a checkpoint names what changed in words.
func (d *DStream[T]) Named(name string) *DStream[T] {
	d.n.name = name
	return d
}

// rddAt returns the RDD of batch time t, generating it once. It returns nil
// when the stream has no RDD at t (t is not on its slide, or before start).
func (d *DStream[T]) rddAt(t time.Time) (*RDD[T], error) {
	ms := t.UnixMilli()
	d.n.mu.Lock()
	r, ok := d.n.generated[ms]
	d.n.mu.Unlock()
	if ok {
		return r.(*RDD[T]), nil
	}
	if !d.ssc.graph.validTime(d.n, t) {
		return nil, nil
	}
	out, err := d.compute(t)
	if err != nil {
		return nil, fmt.Errorf("generate %s at %d: %w", d.label(), ms, err)
	}
	if out != nil && d.n.persist {
		out = out.Cache()
	}
	if out != nil && d.n.remoteOK && d.ssc.labelStages {
		labelStages(d.n, ms, rdd.Stages(out))
	}
	d.n.mu.Lock()
	d.n.generated[ms] = out
	d.n.mu.Unlock()
	return out, nil
}

// ErrNoRDD is wrapped by the error of a batch in which a stream that must
// produce an RDD produced none: a Transform function that returned nil, or a
// Union, Transform or join whose parent had no RDD at a batch time on its
// slide. As in Spark, the batch fails instead of going on without the data.
var ErrNoRDD = errors.New("no RDD")

// parentRDD is the RDD of parent p at t, which an operator of p's slide
// cannot do without: t is on that slide, so no RDD there means an operator
// above lost the batch.
func parentRDD[T any](p *DStream[T], t time.Time) (*RDD[T], error) {
	r, err := p.rddAt(t)
	if err == nil && r == nil {
		return nil, fmt.Errorf("parent %s has no RDD for batch %d (%w)", p.label(), t.UnixMilli(), ErrNoRDD)
	}
	return r, err
}

// slice returns the RDDs of the stream's valid times in (from, to].
func (d *DStream[T]) slice(from, to time.Time) ([]*RDD[T], error) {
	var times []time.Time
	for t := to; t.After(from); t = t.Add(-d.n.slide) {
		times = append(times, t)
	}
	// Generate oldest first, as the batches came (and as Spark does): an
	// input not generated yet takes its data in that order.
	var out []*RDD[T]
	for i := len(times) - 1; i >= 0; i-- {
		r, err := d.rddAt(times[i])
		if err != nil {
			return nil, err
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

func (d *DStream[T]) label() string { return d.n.label() }

// label names the operator in messages: kind, name if any, id.
func (n *node) label() string {
	if n.name != "" {
		return fmt.Sprintf("%s %q (#%d)", n.kind, n.name, n.id)
	}
	return fmt.Sprintf("%s (#%d)", n.kind, n.id)
}

// newStream registers an operator and returns its stream.
func newStream[T any](ssc *Context, n *node, compute func(t time.Time) (*RDD[T], error)) *DStream[T] {
	ds := &DStream[T]{ssc: ssc, n: ssc.graph.add(n), compute: compute}
	n.typed = typedFor(ds)
	if len(n.parents) == 0 {
		n.remoteOK = true // an executor reads the batch's input partitions from the driver
		if n.input == nil {
			n.input = &input{}
		}
		// an error resurfaces when an output asks for the RDD again
		n.input.generate = func(t time.Time) { _, _ = ds.rddAt(t) }
	}
	return ds
}

// derive is a per-batch transformation: the child's RDD at t is f of the
// parent's RDD at t.
func derive[T, U any](d *DStream[T], kind, params string, f func(*RDD[T]) *RDD[U]) *DStream[U] {
	n := &node{kind: kind, params: params, parents: []*node{d.n}, slide: d.n.slide, remoteOK: d.n.remoteOK}
	return newStream(d.ssc, n, func(t time.Time) (*RDD[U], error) {
		r, err := d.rddAt(t)
		if r == nil || err != nil {
			return nil, err
		}
		return f(r), nil
	})
}

// Map applies f to every element.
func Map[T, U any](d *DStream[T], f func(T) U) *DStream[U] {
	return derive(d, "map", "", func(r *RDD[T]) *RDD[U] { return rdd.Map(r, f) })
}

// FlatMap applies f to every element and keeps everything f yields, e.g.
// FlatMap(lines, strings.FieldsSeq).
func FlatMap[T, U any](d *DStream[T], f func(T) iter.Seq[U]) *DStream[U] {
	return derive(d, "flatMap", "", func(r *RDD[T]) *RDD[U] { return rdd.FlatMap(r, f) })
}

// MapPartitions applies f to each partition of each batch as a whole.
func MapPartitions[T, U any](d *DStream[T], f func(partition int, items iter.Seq[T]) iter.Seq[U]) *DStream[U] {
	return derive(d, "mapPartitions", "", func(r *RDD[T]) *RDD[U] { return rdd.MapPartitions(r, f) })
}

// Filter keeps the elements for which keep returns true.
func (d *DStream[T]) Filter(keep func(T) bool) *DStream[T] {
	return derive(d, "filter", "", func(r *RDD[T]) *RDD[T] { return rdd.Filter(r, keep) })
}

// Repartition spreads each batch over n partitions.
func (d *DStream[T]) Repartition(n int) *DStream[T] {
	return derive(d, "repartition", fmt.Sprintf("n=%d", n), func(r *RDD[T]) *RDD[T] { return rdd.Repartition(r, n) })
}

// Union merges this stream with others of the same slide duration.
func (d *DStream[T]) Union(others ...*DStream[T]) *DStream[T] {
	all := append([]*DStream[T]{d}, others...)
	n := &node{kind: "union", slide: d.n.slide, remoteOK: true}
	for _, o := range all {
		n.parents = append(n.parents, o.n)
		n.remoteOK = n.remoteOK && o.n.remoteOK
		if o.n.slide != d.n.slide {
			d.ssc.graphError(fmt.Errorf("union of %s and %s: slide durations differ (%s vs %s); union needs streams of one slide duration",
				d.label(), o.label(), d.n.slide, o.n.slide))
		}
	}
	return newStream(d.ssc, n, func(t time.Time) (*RDD[T], error) {
		rs := make([]*RDD[T], len(all))
		for i, o := range all {
			r, err := parentRDD(o, t)
			if err != nil {
				return nil, err
			}
			rs[i] = r
		}
		return rdd.Union(d.ssc.env, rs...), nil
	})
}

// Count returns a stream holding one element per batch: the number of
// elements of that batch (zero included).
func (d *DStream[T]) Count() *DStream[int64] {
	return derive(d, "count", "", rdd.CountAll[T])
}

// Reduce returns a stream holding one element per batch: all elements folded
// with the associative function f (nothing for an empty batch).
func (d *DStream[T]) Reduce(f func(T, T) T) *DStream[T] {
	return derive(d, "reduce", "", func(r *RDD[T]) *RDD[T] { return rdd.ReduceAll(r, f) })
}

// Transform applies an arbitrary RDD-to-RDD function to each batch; f runs on
// the driver when the batch is generated and gets the batch time. f must
// return an RDD (rdd.Empty for a batch without data): nil fails the batch
// with ErrNoRDD, as Spark fails a transform function returning null.
func Transform[T, U any](d *DStream[T], f func(r *RDD[T], batchTime time.Time) (*RDD[U], error)) *DStream[U] {
	n := &node{kind: "transform", parents: []*node{d.n}, slide: d.n.slide}
	return newStream(d.ssc, n, func(t time.Time) (*RDD[U], error) {
		r, err := parentRDD(d, t)
		if err != nil {
			return nil, err
		}
		return transformed(f(r, t))
	})
}

// CountByValue counts each distinct element per batch.
func CountByValue[T comparable](d *DStream[T], numPartitions ...int) *DStream[Pair[T, int64]] {
	parts := d.ssc.partitions(numPartitions)
	return derive(d, "countByValue", "", func(r *RDD[T]) *RDD[Pair[T, int64]] { return rdd.CountByValue(r, parts) })
}
