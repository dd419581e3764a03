package rdd

import (
	"context"
	"sync"
)

// Env is what every RDD of one streaming context shares: where tasks run and
// the default number of shuffle partitions.
type Env struct {
	Backend     Backend
	Parallelism int           // default partitions of a shuffle; >= 1
	Shuffle     ShuffleReader // reads map outputs held elsewhere; nil: all are here
}

// computeFunc pushes the elements of partition p to emit, in order.
type computeFunc[T any] func(ctx context.Context, p int, emit func(T)) error

// RDD is an immutable, partitioned collection computed lazily by tasks.
type RDD[T any] struct {
	env      *Env
	parts    int
	compute  computeFunc[T]
	stages   func() []stage // shuffle stages compute reads, run or not, upstream first; nil: none
	hashedBy int            // > 0: the elements are Pairs placed by PartitionOf(key, hashedBy)
}

// Parallelize returns an RDD holding items split into parts partitions.
func Parallelize[T any](env *Env, items []T, parts int) *RDD[T] {
	if parts < 1 {
		parts = 1
	}
	split := make([][]T, parts)
	for p := range split {
		lo, hi := p*len(items)/parts, (p+1)*len(items)/parts
		split[p] = items[lo:hi]
	}
	return FromPartitions(env, split)
}

// FromPartitions returns an RDD whose partition p is parts[p]. The slices are
// not copied: they must not change afterwards.
func FromPartitions[T any](env *Env, parts [][]T) *RDD[T] {
	return &RDD[T]{env: env, parts: len(parts), compute: func(_ context.Context, p int, emit func(T)) error {
		for _, x := range parts[p] {
			emit(x)
		}
		return nil
	}}
}

// Empty returns an RDD with no partitions.
func Empty[T any](env *Env) *RDD[T] { return FromPartitions[T](env, nil) }

// NumPartitions is the number of partitions.
func (r *RDD[T]) NumPartitions() int { return r.parts }

// Env returns the environment the RDD runs in.
func (r *RDD[T]) Env() *Env { return r.env }

// Compute pushes partition p's elements to emit. It is what a task runs; the
// shuffle stages the RDD depends on must have run (see RunStages).
func (r *RDD[T]) Compute(ctx context.Context, p int, emit func(T)) error {
	return r.compute(ctx, p, emit)
}

// narrow returns a child with the same partitions computed by compute.
func narrow[T, U any](r *RDD[T], compute computeFunc[U]) *RDD[U] {
	return &RDD[U]{env: r.env, parts: r.parts, compute: compute, stages: r.stages}
}

// Cache returns an RDD with the same elements whose partitions are computed
// at most once and then kept in memory. Once every partition is computed, the
// lineage behind it is dropped, so a chain of cached RDDs (a state stream)
// does not keep every ancestor alive.
func (r *RDD[T]) Cache() *RDD[T] {
	c := &cache[T]{source: r, data: make([][]T, r.parts), done: make([]bool, r.parts), left: r.parts}
	c.mu = make([]sync.Mutex, r.parts)
	return &RDD[T]{env: r.env, parts: r.parts, hashedBy: r.hashedBy, compute: c.compute, stages: c.stages}
}

type cache[T any] struct {
	mu     []sync.Mutex // one per partition: tasks of two jobs may race for it
	data   [][]T
	done   []bool
	left   int // partitions not yet computed; guarded by srcMu
	srcMu  sync.Mutex
	source *RDD[T] // nil once every partition is cached
	// The source's stages once it is dropped, when all are labelled: another
	// process rebuilding an RDD downstream needs their outputs. (A labelled
	// lineage never reaches back to earlier batches, so this holds no chain
	// of old state.)
	labelled []stage
}

func (c *cache[T]) compute(ctx context.Context, p int, emit func(T)) error {
	c.mu[p].Lock()
	if !c.done[p] {
		c.srcMu.Lock()
		src := c.source
		c.srcMu.Unlock()
		var buf []T
		if err := src.compute(ctx, p, func(x T) { buf = append(buf, x) }); err != nil {
			c.mu[p].Unlock()
			return err
		}
		c.data[p], c.done[p] = buf, true
		c.srcMu.Lock()
		if c.left--; c.left == 0 {
			c.labelled = labelledOnly(src.lineage())
			c.source = nil
		}
		c.srcMu.Unlock()
	}
	data := c.data[p]
	c.mu[p].Unlock()
	for _, x := range data {
		emit(x)
	}
	return nil
}

// stages returns the source's stages until every partition is cached, then
// the labelled ones it kept.
func (c *cache[T]) stages() []stage {
	c.srcMu.Lock()
	src := c.source
	c.srcMu.Unlock()
	if src == nil {
		return c.labelled
	}
	return src.lineage()
}

// lineage lists the shuffle stages r is computed from, run or not,
// upstream first (a stage may appear more than once).
func (r *RDD[T]) lineage() []stage {
	if r.stages == nil {
		return nil
	}
	return r.stages()
}

// pendingStages lists the shuffle stages r still needs, upstream first.
func (r *RDD[T]) pendingStages() []stage { return pendingOf(r.lineage()) }

// Dependency is an RDD another one is computed from; Zip runs its pending
// shuffle stages first.
type Dependency interface {
	lineage() []stage
}

// Zip returns an RDD of parts partitions whose partition p is computed by
// compute, typically from partition p of the dependencies (through their
// Compute), which must have parts partitions too.
func Zip[T any](env *Env, parts int, compute func(ctx context.Context, p int, emit func(T)) error, deps ...Dependency) *RDD[T] {
	return &RDD[T]{env: env, parts: parts, compute: compute, stages: func() []stage {
		var all []stage
		for _, d := range deps {
			all = append(all, d.lineage()...)
		}
		return all
	}}
}

// Balanced returns an RDD of parts partitions holding the concatenation of
// chunks, split into ranges of (nearly) equal size without copying: blocks of
// uneven size, or fewer blocks than task slots, still keep every slot busy.
func Balanced[T any](env *Env, chunks [][]T, parts int) *RDD[T] {
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	if parts < 1 {
		parts = 1
	}
	return &RDD[T]{env: env, parts: parts, compute: func(_ context.Context, p int, emit func(T)) error {
		lo, hi := p*total/parts, (p+1)*total/parts
		for _, c := range chunks { // skip to lo, emit up to hi
			if lo >= len(c) {
				lo, hi = lo-len(c), hi-len(c)
				continue
			}
			end := min(hi, len(c))
			for _, x := range c[lo:end] {
				emit(x)
			}
			if hi <= len(c) {
				return nil
			}
			lo, hi = 0, hi-len(c)
		}
		return nil
	}}
}
