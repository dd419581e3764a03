package engine

import (
	"fmt"
	"iter"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// StateUpdate is what an UpdateStateByKeyPartitions function gets for one
// key: the batch's values of the key (none when only the state exists) and
// its previous state (absent for a new key).
type StateUpdate[K comparable, V, S any] struct {
	Key    K
	Values []V
	State  Opt[S]
}

// UpdateStateByKeyWithInitial is UpdateStateByKey starting from initial
// (Spark's initialRDD): its keys have a state from the first batch, where
// update is called for each of them, with values or without. A restart from
// a checkpoint continues from the recovered state; initial serves only the
// first batch of the application's life (as in Spark). A key given twice
// in initial starts from one of its states.
func UpdateStateByKeyWithInitial[K comparable, V, S any](d *DStream[Pair[K, V]], update func(values []V, state Opt[S]) Opt[S],
	initial *RDD[Pair[K, S]], numPartitions ...int) *DStream[Pair[K, S]] {
	if update == nil {
		return updateState[K, V, S](d, nil, true, initial, numPartitions)
	}
	return UpdateStateByKeyWithTime(d, func(_ time.Time, _ K, values []V, state Opt[S]) Opt[S] { return update(values, state) },
		initial, numPartitions...)
}

// UpdateStateByKeyWithTime is UpdateStateByKey whose function also gets the
// batch time and the key (Spark's updateStateByKey over (Time, K, Seq[V],
// Option[S])). initial, when not nil, is the state before the first batch,
// as in UpdateStateByKeyWithInitial.
func UpdateStateByKeyWithTime[K comparable, V, S any](d *DStream[Pair[K, V]],
	update func(batchTime time.Time, key K, values []V, state Opt[S]) Opt[S],
	initial *RDD[Pair[K, S]], numPartitions ...int) *DStream[Pair[K, S]] {
	if update == nil {
		return updateState[K, V, S](d, nil, true, initial, numPartitions)
	}
	perKey := func(t time.Time, keys iter.Seq[StateUpdate[K, V, S]]) iter.Seq[Pair[K, S]] {
		return func(yield func(Pair[K, S]) bool) {
			for u := range keys {
				if s := update(t, u.Key, u.Values, u.State); s.Ok && !yield(KV(u.Key, s.Value)) {
					return
				}
			}
		}
	}
	return updateState(d, perKey, true, initial, numPartitions)
}

// UpdateStateByKeyPartitions is the per-partition form of UpdateStateByKey
// (Spark's iterator form): update gets the batch time and every key of one
// partition of the state — its values in the batch and its previous state —
// and yields the new state of the keys to keep; a key it does not yield is
// removed. It may yield keys it was not given: the state is placed by key
// again at the next batch. initial, when not nil, is the state before the
// first batch, as in UpdateStateByKeyWithInitial.
func UpdateStateByKeyPartitions[K comparable, V, S any](d *DStream[Pair[K, V]],
	update func(batchTime time.Time, keys iter.Seq[StateUpdate[K, V, S]]) iter.Seq[Pair[K, S]],
	initial *RDD[Pair[K, S]], numPartitions ...int) *DStream[Pair[K, S]] {
	return updateState(d, update, false, initial, numPartitions)
}

// updateState is every form of UpdateStateByKey: at every batch the
// previous state (initial before the first batch) is grouped with the
// batch's values by key, and update turns each
// partition into the new state. keepsKeys says that update yields only keys
// it was given, so the new state stays placed by key.
func updateState[K comparable, V, S any](d *DStream[Pair[K, V]],
	update func(t time.Time, keys iter.Seq[StateUpdate[K, V, S]]) iter.Seq[Pair[K, S]],
	keepsKeys bool, initial *RDD[Pair[K, S]], numPartitions []int) *DStream[Pair[K, S]] {
	if update == nil {
		d.ssc.graphError(fmt.Errorf("updateStateByKey on %s: the update function is nil", d.label()))
		update = func(time.Time, iter.Seq[StateUpdate[K, V, S]]) iter.Seq[Pair[K, S]] {
			return func(func(Pair[K, S]) bool) {}
		}
	}
	parts := d.ssc.partitions(numPartitions)
	params := ""
	if initial != nil {
		params = "initial=true"
	}
	var self *DStream[Pair[K, S]]
	self = newStream(d.ssc, stateNode("updateStateByKey", params, d.n), func(t time.Time) (*RDD[Pair[K, S]], error) {
		prev, err := self.rddAt(t.Add(-d.n.slide))
		if err != nil {
			return nil, err
		}
		if prev == nil {
			// No batch before this one, not even in a recovered checkpoint:
			// the application's first batch.
			prev = initial
		}
		cur, err := d.rddAt(t)
		if err != nil {
			return nil, err
		}
		grouped := rdd.CoGroup(orEmpty(d.ssc, prev), orEmpty(d.ssc, cur), parts)
		out := rdd.MapPartitions(grouped, func(_ int, items iter.Seq[Pair[K, CoGrouped[S, V]]]) iter.Seq[Pair[K, S]] {
			return update(t, func(yield func(StateUpdate[K, V, S]) bool) {
				for kv := range items {
					var old Opt[S]
					if len(kv.Value.Left) > 0 {
						old = Some(kv.Value.Left[0])
					}
					if !yield(StateUpdate[K, V, S]{Key: kv.Key, Values: kv.Value.Right, State: old}) {
						return
					}
				}
			})
		})
		if keepsKeys {
			out = out.AssumeHashedBy(parts)
		}
		return out, nil
	})
	return self
}

// initialStates is a MapWithState's state before its first batch t, from
// the pairs of initial placed by key into parts partitions; every key was
// last updated at t.
func initialStates[K comparable, S, M any](initial *RDD[Pair[K, S]], parts int, t time.Time) *RDD[statePartition[K, S, M]] {
	placed := rdd.ReduceByKey(initial, func(_, s S) S { return s }, parts)
	return rdd.MapPartitions(placed, func(_ int, items iter.Seq[Pair[K, S]]) iter.Seq[statePartition[K, S, M]] {
		return func(yield func(statePartition[K, S, M]) bool) {
			states := map[K]stateEntry[S]{}
			for kv := range items {
				states[kv.Key] = stateEntry[S]{kv.Value, t}
			}
			yield(statePartition[K, S, M]{states: states})
		}
	})
}
