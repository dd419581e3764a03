package engine

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// stateNode is the node of a stateful operator: every RDD is built from the
// previous one, so it is cached, forced every batch, and needs a checkpoint
// directory.
func stateNode(kind, params string, parent *node) *node {
	return &node{kind: kind, params: params, parents: []*node{parent}, slide: parent.slide,
		persist: true, stateful: true, remember: parent.slide}
}

// UpdateStateByKey keeps a state per key across batches. At every batch, for
// every key with new values or a state, update gets the batch's values of
// the key and its previous state and returns the new state; returning an
// absent Opt removes the key. It needs a checkpoint directory, as in Spark.
func UpdateStateByKey[K comparable, V, S any](d *DStream[Pair[K, V]], update func(values []V, state Opt[S]) Opt[S], numPartitions ...int) *DStream[Pair[K, S]] {
	return UpdateStateByKeyWithInitial(d, update, nil, numPartitions...)
}

// State is the state of one key, handed to a MapWithState function.
type State[S any] struct {
	value     S
	exists    bool
	timingOut bool
	touched   bool // Update or Remove was called
}

// Exists reports whether the key has a state.
func (s *State[S]) Exists() bool { return s.exists }

// Get returns the state (the zero value when none exists).
func (s *State[S]) Get() S { return s.value }

// Update sets the state. A key that is timing out cannot be updated.
func (s *State[S]) Update(v S) {
	if s.timingOut {
		return
	}
	s.value, s.exists, s.touched = v, true, true
}

// Remove deletes the state.
func (s *State[S]) Remove() {
	var zero S
	s.value, s.exists, s.touched = zero, false, true
}

// IsTimingOut reports whether this call is the last one for an idle key: it
// had no data for longer than the StateSpec's timeout and its state is
// about to go.
func (s *State[S]) IsTimingOut() bool { return s.timingOut }

// StateSpec describes a MapWithState operator.
type StateSpec[K comparable, V, S, M any] struct {
	// Func is called once per key with data in the batch (value present), and
	// once for a key that timed out (value absent, state.IsTimingOut()).
	// What it returns is emitted on the mapped stream.
	Func func(batchTime time.Time, key K, value Opt[V], state *State[S]) M
	// Timeout removes keys that received no data for longer than this (idle
	// for exactly Timeout is kept, as in Spark); 0: never.
	Timeout time.Duration
	// NumPartitions of the state; 0: the default parallelism.
	NumPartitions int
	// Initial, when not nil, is the state before the first batch (Spark's
	// StateSpec.initialState): its keys exist from the first batch, idle
	// from then on. A restart from a checkpoint continues from the
	// recovered state instead.
	Initial *RDD[Pair[K, S]]
}

// stateEntry is one key's state and when it last received data.
type stateEntry[S any] struct {
	Value   S
	Updated time.Time
}

// statePartition is one partition of a MapWithState state at one batch: the
// states, and the records the batch's calls returned.
type statePartition[K comparable, S, M any] struct {
	states map[K]stateEntry[S]
	mapped []M
}

// stateKeyer is a record holding many keys of a state: a state partition.
type stateKeyer interface{ stateKeys() int }

func (sp statePartition[K, S, M]) stateKeys() int { return len(sp.states) }

// MapWithStateDStream is the stream of mapped records of a MapWithState
// operator; StateSnapshots gives the full state after every batch.
// Checkpoint on either sets how often the state is saved.
type MapWithStateDStream[K comparable, V, S, M any] struct {
	*DStream[M]
	internal *DStream[statePartition[K, S, M]]
}

// StateSnapshots returns a stream holding, at every batch, every key and
// its state. Its Checkpoint sets how often that state is saved.
func (m *MapWithStateDStream[K, V, S, M]) StateSnapshots() *DStream[Pair[K, S]] {
	return stateView(m.internal, "stateSnapshots", func(r *RDD[statePartition[K, S, M]]) *RDD[Pair[K, S]] {
		return rdd.FlatMap(r, func(sp statePartition[K, S, M]) iter.Seq[Pair[K, S]] {
			return func(yield func(Pair[K, S]) bool) {
				for k, e := range sp.states {
					if !yield(KV(k, e.Value)) {
						return
					}
				}
			}
		})
	})
}

// MapWithState keeps a state per key and calls spec.Func only for keys with
// data in the batch (and for keys timing out), unlike UpdateStateByKey, which
// visits every key every batch. It needs a checkpoint directory.
func MapWithState[K comparable, V, S, M any](d *DStream[Pair[K, V]], spec StateSpec[K, V, S, M]) *MapWithStateDStream[K, V, S, M] {
	if spec.Func == nil {
		d.ssc.graphError(fmt.Errorf("mapWithState on %s: StateSpec.Func is nil", d.label()))
		spec.Func = func(time.Time, K, Opt[V], *State[S]) M { var m M; return m }
	}
	parts := d.ssc.partitions([]int{spec.NumPartitions})
	var self *DStream[statePartition[K, S, M]]
	params := fmt.Sprintf("timeout=%s", spec.Timeout)
	if spec.Initial != nil {
		params += " initial=true"
	}
	self = newStream(d.ssc, stateNode("mapWithState", params, d.n),
		func(t time.Time) (*RDD[statePartition[K, S, M]], error) {
			prev, err := self.rddAt(t.Add(-d.n.slide))
			if err != nil {
				return nil, err
			}
			if prev == nil && spec.Initial != nil { // the application's first batch
				prev = initialStates[K, S, M](spec.Initial, parts, t)
			}
			cur, err := d.rddAt(t)
			if err != nil {
				return nil, err
			}
			grouped := rdd.GroupByKey(orEmpty(d.ssc, cur), parts)
			return mapStatePartitions(d.ssc.env, prev, grouped, parts, t, spec), nil
		})
	mapped := stateView(self, "mapWithStateRecords", func(r *RDD[statePartition[K, S, M]]) *RDD[M] {
		return rdd.FlatMap(r, func(sp statePartition[K, S, M]) iter.Seq[M] { return slices.Values(sp.mapped) })
	})
	return &MapWithStateDStream[K, V, S, M]{DStream: mapped, internal: self}
}

// stateView derives a public stream from a MapWithState's internal state
// stream, so that Checkpoint on it sets the state's interval.
func stateView[T, U any](state *DStream[T], kind string, f func(*RDD[T]) *RDD[U]) *DStream[U] {
	v := derive(state, kind, "", f)
	v.n.stateOf = state.n
	return v
}

// mapStatePartitions builds batch t's state partitions from the previous
// ones (nil at the first batch) and the batch's grouped values.
func mapStatePartitions[K comparable, V, S, M any](env *rdd.Env, prev *RDD[statePartition[K, S, M]],
	grouped *RDD[Pair[K, []V]], parts int, t time.Time, spec StateSpec[K, V, S, M]) *RDD[statePartition[K, S, M]] {
	deps := []rdd.Dependency{grouped}
	if prev != nil {
		deps = append(deps, prev)
	}
	return rdd.Zip(env, parts, func(ctx context.Context, p int, emit func(statePartition[K, S, M])) error {
		var states map[K]stateEntry[S]
		if prev != nil {
			if err := prev.Compute(ctx, p, func(sp statePartition[K, S, M]) {
				if states == nil {
					states = maps.Clone(sp.states) // copied whole: the previous batch's state stays as it was
				} else {
					maps.Copy(states, sp.states)
				}
			}); err != nil {
				return err
			}
		}
		if states == nil {
			states = map[K]stateEntry[S]{}
		}
		var keys []Pair[K, []V]
		records := 0
		if err := grouped.Compute(ctx, p, func(kv Pair[K, []V]) {
			keys = append(keys, kv)
			records += len(kv.Value)
		}); err != nil {
			return err
		}
		mapped := make([]M, 0, records)
		// call runs the user's function once and applies what it did to the state.
		call := func(k K, value Opt[V], st State[S]) {
			mapped = append(mapped, spec.Func(t, k, value, &st))
			switch {
			case st.timingOut || (st.touched && !st.exists):
				delete(states, k)
			case st.touched:
				states[k] = stateEntry[S]{st.value, t}
			case value.Ok: // data arrived: the key is not idle even if its state is unchanged
				if e, ok := states[k]; ok {
					states[k] = stateEntry[S]{e.Value, t}
				}
			}
		}
		seen := make(map[K]bool, len(keys))
		// One State for every record's call, as Spark reuses one per
		// partition: a State per call escaped to the heap, an allocation
		// per record.
		st := new(State[S])
		for _, kv := range keys {
			seen[kv.Key] = true
			// One call per record, as in Spark. The key's state is looked
			// up and stored once, not at every record: call's rules, applied
			// to a copy.
			e, ok := states[kv.Key]
			for _, v := range kv.Value {
				*st = State[S]{value: e.Value, exists: ok}
				mapped = append(mapped, spec.Func(t, kv.Key, Some(v), st))
				switch {
				case st.touched && !st.exists:
					e, ok = stateEntry[S]{}, false
				case st.touched:
					e, ok = stateEntry[S]{st.value, t}, true
				case ok: // data arrived: the key is not idle even if its state is unchanged
					e.Updated = t
				}
			}
			if ok {
				states[kv.Key] = e
			} else {
				delete(states, kv.Key)
			}
		}
		if spec.Timeout > 0 {
			for k, e := range states {
				// idle strictly longer than the timeout, as Spark's lastUpdated < t - timeout
				if !seen[k] && t.Sub(e.Updated) > spec.Timeout {
					call(k, Opt[V]{}, State[S]{value: e.Value, exists: true, timingOut: true})
				}
			}
		}
		emit(statePartition[K, S, M]{states: states, mapped: mapped})
		return nil
	}, deps...).AssumeHashedBy(parts)
}
