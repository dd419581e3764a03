package rdd

import "fmt"

// Pair is a key-value element, the input of every keyed operator.
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// KV makes a Pair.
func KV[K comparable, V any](k K, v V) Pair[K, V] { return Pair[K, V]{k, v} }

func (p Pair[K, V]) String() string { return fmt.Sprintf("(%v,%v)", p.Key, p.Value) }

// Opt is a value that may be absent: the missing side of an outer join.
type Opt[T any] struct {
	Value T
	Ok    bool
}

// Some makes a present Opt.
func Some[T any](v T) Opt[T] { return Opt[T]{v, true} }

func (o Opt[T]) String() string {
	if !o.Ok {
		return "None"
	}
	return fmt.Sprintf("Some(%v)", o.Value)
}

// Joined is the value of a joined pair: one value from each side.
type Joined[V, W any] struct {
	Left  V
	Right W
}

func (j Joined[V, W]) String() string { return fmt.Sprintf("(%v,%v)", j.Left, j.Right) }

// CoGrouped holds, for one key, every value of each side.
type CoGrouped[V, W any] struct {
	Left  []V
	Right []W
}

func (c CoGrouped[V, W]) String() string { return fmt.Sprintf("(%v,%v)", c.Left, c.Right) }
