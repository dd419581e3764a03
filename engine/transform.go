package engine

import (
	"fmt"
	"time"
)

// transformed checks what a transform function returned: no RDD without an
// error fails the batch with ErrNoRDD, as Spark fails a transform function
// returning null.
func transformed[U any](out *RDD[U], err error) (*RDD[U], error) {
	if err == nil && out == nil {
		return nil, fmt.Errorf("the transform function returned no RDD (%w); return rdd.Empty for a batch without data", ErrNoRDD)
	}
	return out, err
}

// TransformWith applies an arbitrary function of two streams' RDDs to each
// batch (Spark's transformWith); f runs on the driver when the batch is
// generated and gets the batch time. Both streams need the same slide
// duration. As with Transform, f must return an RDD, and a parent without
// an RDD at a batch time on the slide fails the batch with ErrNoRDD.
func TransformWith[T, U, W any](a *DStream[T], b *DStream[U], f func(ra *RDD[T], rb *RDD[U], batchTime time.Time) (*RDD[W], error)) *DStream[W] {
	if f == nil {
		a.ssc.graphError(fmt.Errorf("transformWith of %s and %s: the function is nil", a.label(), b.label()))
	}
	return twoParents(a, b, "transformWith", false, func(ra *RDD[T], rb *RDD[U], t time.Time) (*RDD[W], error) {
		return transformed(f(ra, rb, t))
	})
}

// twoParents builds an operator over two streams of one slide duration
// whose RDD at t is f of theirs; remoteOK as node.remoteOK.
func twoParents[T, U, R any](a *DStream[T], b *DStream[U], kind string, remoteOK bool,
	f func(*RDD[T], *RDD[U], time.Time) (*RDD[R], error)) *DStream[R] {
	if a.n.slide != b.n.slide {
		a.ssc.graphError(slideMismatch(kind, a.label(), b.label(), a.n.slide, b.n.slide))
	}
	n := &node{kind: kind, parents: []*node{a.n, b.n}, slide: a.n.slide, remoteOK: remoteOK}
	return newStream(a.ssc, n, func(t time.Time) (*RDD[R], error) {
		ra, err := parentRDD(a, t)
		if err != nil {
			return nil, err
		}
		rb, err := parentRDD(b, t)
		if err != nil {
			return nil, err
		}
		return f(ra, rb, t)
	})
}

// AnyDStream is a DStream of any element type, for TransformStreams.
type AnyDStream interface {
	graphNode() *node
	streamContext() *Context
}

func (d *DStream[T]) graphNode() *node { return d.n }
func (d *DStream[T]) streamContext() *Context {
	if d == nil {
		return nil // reported by TransformStreams
	}
	return d.ssc
}

// TransformStreams applies an arbitrary function of several streams' RDDs
// to each batch: Spark's StreamingContext.transform(dstreams, f). f gets,
// in the order of streams, each one's RDD of the batch as an any holding an
// *RDD[T] of that stream's element type (assert it back:
// rdds[0].(*engine.RDD[string])), and the batch time; it runs on the driver
// when the batch is generated. The streams must belong to ssc and share one
// slide duration; as with Transform, f must return an RDD, and a stream
// without an RDD at a batch time on the slide fails the batch with ErrNoRDD.
func TransformStreams[U any](ssc *Context, streams []AnyDStream, f func(rdds []any, batchTime time.Time) (*RDD[U], error)) *DStream[U] {
	n := &node{kind: "transformStreams", slide: ssc.batch}
	switch {
	case len(streams) == 0:
		ssc.graphError(fmt.Errorf("transformStreams: no streams given; pass the streams whose RDDs the function combines"))
	case f == nil:
		ssc.graphError(fmt.Errorf("transformStreams: the function is nil"))
	}
	for i, s := range streams {
		if s == nil || s.streamContext() != ssc {
			ssc.graphError(fmt.Errorf("transformStreams: stream %d belongs to another streaming context (or is nil); "+
				"every stream must be built on the context given", i))
			continue
		}
		p := s.graphNode()
		if len(n.parents) == 0 {
			n.slide = p.slide
		} else if p.slide != n.slide {
			ssc.graphError(slideMismatch("transformStreams", n.parents[0].label(), p.label(), n.slide, p.slide))
		}
		n.parents = append(n.parents, p)
	}
	parents := n.parents
	return newStream(ssc, n, func(t time.Time) (*RDD[U], error) {
		rdds := make([]any, len(parents))
		for i, p := range parents {
			r, err := p.typed.rddAt(t)
			if err != nil {
				return nil, err
			}
			if r == nil {
				return nil, fmt.Errorf("parent %s has no RDD for batch %d (%w)", p.label(), t.UnixMilli(), ErrNoRDD)
			}
			rdds[i] = r
		}
		return transformed(f(rdds, t))
	})
}
