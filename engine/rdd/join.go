package rdd

import "context"

// CoGroup gathers, for every key of either side, all values of each side. A
// side already hash-partitioned into parts partitions is not shuffled again.
func CoGroup[K comparable, V, W any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int) *RDD[Pair[K, CoGrouped[V, W]]] {
	if parts < 1 {
		parts = a.env.Parallelism
	}
	left, right := groupedBy(a, parts), groupedBy(b, parts)
	return &RDD[Pair[K, CoGrouped[V, W]]]{
		env: a.env, parts: parts, hashedBy: parts,
		stages: func() []stage { return append(left.lineage(), right.lineage()...) },
		compute: func(ctx context.Context, p int, emit func(Pair[K, CoGrouped[V, W]])) error {
			groups := map[K]*CoGrouped[V, W]{}
			get := func(k K) *CoGrouped[V, W] {
				g, ok := groups[k]
				if !ok {
					g = &CoGrouped[V, W]{}
					groups[k] = g
				}
				return g
			}
			if err := left.compute(ctx, p, func(kv Pair[K, []V]) {
				g := get(kv.Key)
				g.Left = append(g.Left, kv.Value...)
			}); err != nil {
				return err
			}
			if err := right.compute(ctx, p, func(kv Pair[K, []W]) {
				g := get(kv.Key)
				g.Right = append(g.Right, kv.Value...)
			}); err != nil {
				return err
			}
			for k, g := range groups {
				emit(Pair[K, CoGrouped[V, W]]{k, *g})
			}
			return nil
		},
	}
}

// groupedBy returns r's values grouped per key and hash-partitioned into
// parts partitions, shuffling only when r is not partitioned that way yet.
func groupedBy[K comparable, V any](r *RDD[Pair[K, V]], parts int) *RDD[Pair[K, []V]] {
	if r.hashedBy == parts {
		return MapValues(r, func(v V) []V { return []V{v} })
	}
	return GroupByKey(r, parts)
}

// joinWith emits, for each co-grouped key, the pairs f produces.
func joinWith[K comparable, V, W, R any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int,
	f func(g CoGrouped[V, W], emit func(R))) *RDD[Pair[K, R]] {
	cg := CoGroup(a, b, parts)
	out := narrow(cg, func(ctx context.Context, p int, emit func(Pair[K, R])) error {
		return cg.compute(ctx, p, func(kv Pair[K, CoGrouped[V, W]]) {
			f(kv.Value, func(r R) { emit(Pair[K, R]{kv.Key, r}) })
		})
	})
	out.hashedBy = cg.hashedBy
	return out
}

// Join pairs every value of a key in a with every value of that key in b.
func Join[K comparable, V, W any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int) *RDD[Pair[K, Joined[V, W]]] {
	return joinWith(a, b, parts, func(g CoGrouped[V, W], emit func(Joined[V, W])) {
		for _, v := range g.Left {
			for _, w := range g.Right {
				emit(Joined[V, W]{v, w})
			}
		}
	})
}

// LeftOuterJoin is Join that also keeps a's keys missing from b.
func LeftOuterJoin[K comparable, V, W any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int) *RDD[Pair[K, Joined[V, Opt[W]]]] {
	return joinWith(a, b, parts, func(g CoGrouped[V, W], emit func(Joined[V, Opt[W]])) {
		for _, v := range g.Left {
			for _, w := range optionals(g.Right) {
				emit(Joined[V, Opt[W]]{v, w})
			}
		}
	})
}

// RightOuterJoin is Join that also keeps b's keys missing from a.
func RightOuterJoin[K comparable, V, W any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int) *RDD[Pair[K, Joined[Opt[V], W]]] {
	return joinWith(a, b, parts, func(g CoGrouped[V, W], emit func(Joined[Opt[V], W])) {
		for _, v := range optionals(g.Left) {
			for _, w := range g.Right {
				emit(Joined[Opt[V], W]{v, w})
			}
		}
	})
}

// FullOuterJoin is Join that also keeps the keys found on one side only.
func FullOuterJoin[K comparable, V, W any](a *RDD[Pair[K, V]], b *RDD[Pair[K, W]], parts int) *RDD[Pair[K, Joined[Opt[V], Opt[W]]]] {
	return joinWith(a, b, parts, func(g CoGrouped[V, W], emit func(Joined[Opt[V], Opt[W]])) {
		for _, v := range optionals(g.Left) {
			for _, w := range optionals(g.Right) {
				emit(Joined[Opt[V], Opt[W]]{v, w})
			}
		}
	})
}

// optionals wraps each value as present, or returns one absent value when
// there are none: the row an outer join keeps for a one-sided key.
func optionals[T any](vs []T) []Opt[T] {
	if len(vs) == 0 {
		return []Opt[T]{{}}
	}
	out := make([]Opt[T], len(vs))
	for i, v := range vs {
		out[i] = Some(v)
	}
	return out
}
