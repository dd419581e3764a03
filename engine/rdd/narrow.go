package rdd

import (
	"context"
	"iter"
)

// Map applies f to every element.
func Map[T, U any](r *RDD[T], f func(T) U) *RDD[U] {
	return narrow(r, func(ctx context.Context, p int, emit func(U)) error {
		return r.compute(ctx, p, func(x T) { emit(f(x)) })
	})
}

// FlatMap applies f to every element and emits everything f yields.
func FlatMap[T, U any](r *RDD[T], f func(T) iter.Seq[U]) *RDD[U] {
	return narrow(r, func(ctx context.Context, p int, emit func(U)) error {
		return r.compute(ctx, p, func(x T) {
			for y := range f(x) {
				emit(y)
			}
		})
	})
}

// Filter keeps the elements for which keep returns true. Keyed partitioning
// is preserved.
func Filter[T any](r *RDD[T], keep func(T) bool) *RDD[T] {
	out := narrow(r, func(ctx context.Context, p int, emit func(T)) error {
		return r.compute(ctx, p, func(x T) {
			if keep(x) {
				emit(x)
			}
		})
	})
	out.hashedBy = r.hashedBy
	return out
}

// MapPartitions applies f to each partition as a whole; f gets the partition
// index and its elements, and yields the output elements.
func MapPartitions[T, U any](r *RDD[T], f func(p int, items iter.Seq[T]) iter.Seq[U]) *RDD[U] {
	return narrow(r, func(ctx context.Context, p int, emit func(U)) error {
		var err error
		in := func(yield func(T) bool) {
			stopped := false
			err = r.compute(ctx, p, func(x T) {
				if !stopped && !yield(x) {
					stopped = true
				}
			})
		}
		for y := range f(p, in) {
			emit(y)
		}
		return err
	})
}

// Union concatenates the partitions of rs, in order.
func Union[T any](env *Env, rs ...*RDD[T]) *RDD[T] {
	total := 0
	for _, r := range rs {
		total += r.parts
	}
	return &RDD[T]{
		env:   env,
		parts: total,
		compute: func(ctx context.Context, p int, emit func(T)) error {
			for _, r := range rs {
				if p < r.parts {
					return r.compute(ctx, p, emit)
				}
				p -= r.parts
			}
			return nil
		},
		stages: func() []stage {
			var all []stage
			for _, r := range rs {
				all = append(all, r.lineage()...)
			}
			return all
		},
	}
}

// Repartition redistributes the elements round-robin into n partitions.
func Repartition[T any](r *RDD[T], n int) *RDD[T] {
	if n < 1 {
		n = r.env.Parallelism
	}
	st := newMapStage(r, n, "repartition map", func(ctx context.Context, parent *RDD[T], p int) ([][]T, error) {
		out := make([][]T, n)
		next := p % n // start each map partition elsewhere so small inputs spread too
		err := parent.compute(ctx, p, func(x T) {
			out[next] = append(out[next], x)
			if next++; next == n {
				next = 0
			}
		})
		return out, err
	})
	return &RDD[T]{env: r.env, parts: n, stages: st.lineage,
		compute: func(ctx context.Context, p int, emit func(T)) error {
			for m := range st.maps {
				bucket, err := st.bucket(ctx, m, p)
				if err != nil {
					return err
				}
				for _, x := range bucket {
					emit(x)
				}
			}
			return nil
		}}
}

// Glom turns each partition into one element holding all of its elements
// (an empty slice for an empty partition), as Spark's glom.
func Glom[T any](r *RDD[T]) *RDD[[]T] {
	return narrow(r, func(ctx context.Context, p int, emit func([]T)) error {
		all := []T{}
		if err := r.compute(ctx, p, func(x T) { all = append(all, x) }); err != nil {
			return err
		}
		emit(all)
		return nil
	})
}
