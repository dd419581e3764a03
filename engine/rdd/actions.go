package rdd

import (
	"context"
	"iter"
)

// ForeachPartition runs f once per partition, as tasks on the backend, after
// the shuffle stages r needs. f gets the partition index and its elements.
func (r *RDD[T]) ForeachPartition(ctx context.Context, stageName string, f func(ctx context.Context, p int, items iter.Seq[T]) error) error {
	if err := RunStages(ctx, r); err != nil {
		return err
	}
	tasks := make([]Task, r.parts)
	for p := range tasks {
		tasks[p] = r.PartitionTask(stageName, p, f)
	}
	return r.env.Backend.RunTasks(ctx, tasks)
}

// PartitionTask is the task that runs f on partition p (the shuffle stages
// r needs must have run).
func (r *RDD[T]) PartitionTask(stageName string, p int, f func(ctx context.Context, p int, items iter.Seq[T]) error) Task {
	return Task{Stage: stageName, Partition: p, Run: func(ctx context.Context) error {
		var computeErr error
		items := func(yield func(T) bool) {
			stopped := false
			computeErr = r.compute(ctx, p, func(x T) {
				if !stopped && !yield(x) {
					stopped = true
				}
			})
		}
		if err := f(ctx, p, items); err != nil {
			return err
		}
		return computeErr
	}}
}

// Collect returns every element, partition by partition.
func (r *RDD[T]) Collect(ctx context.Context) ([]T, error) {
	parts := make([][]T, r.parts)
	err := r.ForeachPartition(ctx, "collect", func(_ context.Context, p int, items iter.Seq[T]) error {
		for x := range items {
			parts[p] = append(parts[p], x)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []T
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, nil
}

// Count returns the number of elements.
func (r *RDD[T]) Count(ctx context.Context) (int64, error) {
	counts := make([]int64, r.parts)
	err := r.ForeachPartition(ctx, "count", func(_ context.Context, p int, items iter.Seq[T]) error {
		for range items {
			counts[p]++
		}
		return nil
	})
	var n int64
	for _, c := range counts {
		n += c
	}
	return n, err
}

// Take returns the first n elements, computing one partition at a time and
// stopping once it has enough.
func (r *RDD[T]) Take(ctx context.Context, n int) ([]T, error) {
	if err := RunStages(ctx, r); err != nil {
		return nil, err
	}
	var out []T
	for p := 0; p < r.parts && len(out) < n; p++ {
		task := Task{Stage: "take", Partition: p, Run: func(ctx context.Context) error {
			return r.compute(ctx, p, func(x T) {
				if len(out) < n {
					out = append(out, x)
				}
			})
		}}
		if err := r.env.Backend.RunTasks(ctx, []Task{task}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
