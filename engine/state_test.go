package engine_test

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// stateInput: keys come, go and come back; an empty batch; a key whose
// values sum to a removal trigger.
var stateInput = [][]kvi{
	{ki("a", 1), ki("b", 2), ki("a", 3)},
	{ki("c", 5)},
	{},
	{ki("a", -4), ki("b", 1), ki("b", 1)},
	{ki("a", 2), ki("c", 1)},
	{},
}

func TestUpdateStateByKey(t *testing.T) {
	type visit struct {
		Sum    int
		Visits int // calls since the key got a state
	}
	cases := []struct {
		name   string
		update func(values []int, state engine.Opt[visit]) engine.Opt[visit]
		// model is the same rule in plain Go: new state (and keep) from
		// the values and the old state.
		model func(values []int, old visit, had bool) (visit, bool)
	}{
		{"running sum, visiting every key every batch",
			func(values []int, st engine.Opt[visit]) engine.Opt[visit] {
				s := st.Value
				for _, v := range values {
					s.Sum += v
				}
				s.Visits++
				return engine.Some(s)
			},
			func(values []int, old visit, had bool) (visit, bool) {
				for _, v := range values {
					old.Sum += v
				}
				old.Visits++
				return old, true
			}},
		{"absent removes the key",
			// a key is dropped when its sum reaches 0 or after a batch without values
			func(values []int, st engine.Opt[visit]) engine.Opt[visit] {
				if len(values) == 0 {
					return engine.Opt[visit]{}
				}
				s := st.Value
				for _, v := range values {
					s.Sum += v
				}
				s.Visits++
				if s.Sum == 0 {
					return engine.Opt[visit]{}
				}
				return engine.Some(s)
			},
			func(values []int, old visit, had bool) (visit, bool) {
				if len(values) == 0 {
					return visit{}, false
				}
				for _, v := range values {
					old.Sum += v
				}
				old.Visits++
				return old, old.Sum != 0
			}},
		{"no state created without a Some",
			func(values []int, st engine.Opt[visit]) engine.Opt[visit] {
				s := st.Value
				for _, v := range values {
					s.Sum += v
				}
				s.Visits++
				if !st.Ok && s.Sum < 3 {
					return engine.Opt[visit]{} // small first sums are not kept
				}
				return engine.Some(s)
			},
			func(values []int, old visit, had bool) (visit, bool) {
				for _, v := range values {
					old.Sum += v
				}
				old.Visits++
				if !had && old.Sum < 3 {
					return visit{}, false
				}
				return old, true
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[kvi](h)
			out := streamtest.Collect(h, engine.UpdateStateByKey(in, tc.update, 3))
			h.Start()
			pushAll(q, stateInput)
			h.Advance(len(stateInput))

			state := map[string]visit{}
			want := make([][]string, len(stateInput))
			for i, b := range stateInput {
				keys := map[string][]int{}
				for k := range state {
					keys[k] = nil // every key with a state is visited
				}
				for _, kv := range b {
					keys[kv.Key] = append(keys[kv.Key], kv.Value)
				}
				for k, vs := range keys {
					old, had := state[k]
					if nv, keep := tc.model(vs, old, had); keep {
						state[k] = nv
					} else {
						delete(state, k)
					}
				}
				want[i] = []string{}
				for k, s := range state {
					want[i] = append(want[i], fmt.Sprintf("(%s,%v)", k, s))
				}
				slices.Sort(want[i])
			}
			checkBatches(t, h, out, want)
		})
	}
}

// TestUpdateStateByKeyValuesOfTheBatch: update gets exactly the key's values
// of the current batch (none for a batch without data for the key).
func TestUpdateStateByKeyValuesOfTheBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[kvi](h)
	hist := engine.UpdateStateByKey(in, func(values []int, st engine.Opt[string]) engine.Opt[string] {
		vs := slices.Clone(values)
		slices.Sort(vs)
		return engine.Some(st.Value + fmt.Sprint(vs))
	})
	out := streamtest.Collect(h, hist)
	h.Start()
	q.Push(ki("k", 2), ki("k", 1))
	q.Push()
	q.Push(ki("k", 5))
	h.Advance(3)
	checkBatches(t, h, out, [][]string{{"(k,[1 2])"}, {"(k,[1 2][])"}, {"(k,[1 2][][5])"}})
}

// msEvent is what the MapWithState function returns: one per call.
func msEvent(bt time.Time, key string, v engine.Opt[int], st *engine.State[int]) string {
	switch {
	case st.IsTimingOut():
		return fmt.Sprintf("%s:timeout(%d)", key, st.Get())
	case !v.Ok:
		return fmt.Sprintf("%s:novalue", key)
	default:
		return fmt.Sprintf("%s:%d", key, v.Value)
	}
}

func TestMapWithStateOncePerRecordUpdateRemove(t *testing.T) {
	var calls atomic.Int64
	spec := engine.StateSpec[string, int, int, string]{
		Func: func(bt time.Time, key string, v engine.Opt[int], st *engine.State[int]) string {
			calls.Add(1)
			ev := msEvent(bt, key, v, st)
			switch {
			case v.Value == 0:
				st.Remove() // a zero removes the key
			case v.Value < 0:
				// negative values are seen but leave the state alone
			default:
				st.Update(st.Get() + v.Value)
			}
			return ev
		},
		NumPartitions: 3,
	}
	in := [][]kvi{
		{ki("a", 1), ki("a", 2), ki("b", 5)},
		{},
		{ki("b", 0), ki("c", -1)},
		{ki("b", 4), ki("a", 0), ki("a", 7)},
		{ki("c", 3)},
	}
	h := streamtest.New(t, time.Second)
	src, q := streamtest.Input[kvi](h)
	ms := engine.MapWithState(src, spec)
	mapped := streamtest.Collect(h, ms.DStream)
	snaps := streamtest.Collect(h, ms.StateSnapshots())
	counted := streamtest.Collect(h, ms.Count()) // a third reader of the same state
	h.Start()
	pushAll(q, in)
	h.Advance(len(in))

	// plain Go model, records of a key in arrival order
	state := map[string]int{}
	wantMapped := make([][]string, len(in))
	wantSnaps := make([][]string, len(in))
	records := 0
	for i, b := range in {
		wantMapped[i] = []string{}
		for _, kv := range b {
			records++
			wantMapped[i] = append(wantMapped[i], fmt.Sprintf("%s:%d", kv.Key, kv.Value))
			switch {
			case kv.Value == 0:
				delete(state, kv.Key)
			case kv.Value < 0:
			default:
				state[kv.Key] += kv.Value
			}
		}
		slices.Sort(wantMapped[i])
		wantSnaps[i] = []string{}
		for k, s := range state {
			wantSnaps[i] = append(wantSnaps[i], fmt.Sprintf("(%s,%d)", k, s))
		}
		slices.Sort(wantSnaps[i])
	}
	checkBatches(t, h, mapped, wantMapped)
	checkBatches(t, h, snaps, wantSnaps)
	for i, b := range in {
		if got, _ := counted.Batch(i); len(got) != 1 || got[0] != int64(len(b)) {
			t.Errorf("batch %d: mapped count %v, want %d", i, got, len(b))
		}
	}
	// once per record, although three outputs read the state stream
	if n := calls.Load(); n != int64(records) {
		t.Errorf("the function ran %d times for %d records", n, records)
	}
}

// TestMapWithStateTimeout: a key that got no data for longer than the
// timeout is called once with IsTimingOut (and no value) and then removed.
// Idleness counts from the key's last data, whether or not the function
// updated the state then. With a 3s timeout and 1s batches, a key whose
// last data came at batch time T is kept at T+3s (idle for exactly the
// timeout) and times out at T+4s: Spark's lastUpdated < batchTime - timeout.
func TestMapWithStateTimeout(t *testing.T) {
	var calls atomic.Int64
	var updatesWhileTimingOut atomic.Int64
	spec := engine.StateSpec[string, int, int, string]{
		Func: func(bt time.Time, key string, v engine.Opt[int], st *engine.State[int]) string {
			calls.Add(1)
			if st.IsTimingOut() {
				if v.Ok || !st.Exists() {
					return key + ":bad timing-out call"
				}
				st.Update(-1) // ignored: a timing-out key cannot be updated
				if st.Get() == -1 {
					updatesWhileTimingOut.Add(1)
				}
				return msEvent(bt, key, v, st)
			}
			if v.Value > 0 { // 0: data that only reads the state
				st.Update(st.Get() + v.Value)
			}
			return msEvent(bt, key, v, st)
		},
		Timeout: 3 * time.Second,
	}
	// batch numbers are 1-based in the comments: batch k at zero + k s
	in := [][]kvi{
		{ki("a", 1), ki("b", 1), ki("c", 1)}, // 1
		{ki("b", 1)},                         // 2
		{ki("c", 0)},                         // 3: c read, not updated: still active
		{ki("b", 1)},                         // 4: a idle for exactly the timeout: kept
		{},                                   // 5: a idle since 1 → times out
		{},                                   // 6
		{ki("a", 5)},                         // 7: a is new again; c idle since 3 → times out
		{},                                   // 8: b idle since 4 → times out
		{ki("a", 1)},                         // 9
		{},                                   // 10
		{},                                   // 11
		{},                                   // 12
		{ki("a", 1)},                         // 13: data at the very batch a would time out keeps it
		{},                                   // 14
		{},                                   // 15
		{},                                   // 16
		{},                                   // 17: a idle since 13 → times out
	}
	wantMapped := [][]string{
		{"a:1", "b:1", "c:1"},
		{"b:1"},
		{"c:0"},
		{"b:1"},
		{"a:timeout(1)"},
		{},
		{"a:5", "c:timeout(1)"},
		{"b:timeout(3)"},
		{"a:1"},
		{},
		{},
		{},
		{"a:1"},
		{},
		{},
		{},
		{"a:timeout(7)"},
	}
	wantSnaps := [][]string{
		{"(a,1)", "(b,1)", "(c,1)"},
		{"(a,1)", "(b,2)", "(c,1)"},
		{"(a,1)", "(b,2)", "(c,1)"},
		{"(a,1)", "(b,3)", "(c,1)"},
		{"(b,3)", "(c,1)"},
		{"(b,3)", "(c,1)"},
		{"(a,5)", "(b,3)"},
		{"(a,5)"},
		{"(a,6)"},
		{"(a,6)"},
		{"(a,6)"},
		{"(a,6)"},
		{"(a,7)"},
		{"(a,7)"},
		{"(a,7)"},
		{"(a,7)"},
		{},
	}
	h := streamtest.New(t, time.Second)
	src, q := streamtest.Input[kvi](h)
	ms := engine.MapWithState(src, spec)
	mapped := streamtest.Collect(h, ms.DStream)
	snaps := streamtest.Collect(h, ms.StateSnapshots())
	h.Start()
	pushAll(q, in)
	h.Advance(len(in))
	for i := range wantMapped {
		wantMapped[i] = strs(wantMapped[i]...)
	}
	checkBatches(t, h, mapped, wantMapped)
	checkBatches(t, h, snaps, wantSnaps)
	if n := updatesWhileTimingOut.Load(); n != 0 {
		t.Errorf("Update took effect on a timing-out key %d times", n)
	}
	wantCalls := 0
	for _, b := range wantMapped {
		wantCalls += len(b)
	}
	if n := calls.Load(); n != int64(wantCalls) {
		t.Errorf("the function ran %d times, want %d (once per record and per timeout)", n, wantCalls)
	}
}

// TestMapWithStateGetsBatchTime: the function gets the batch's time.
func TestMapWithStateGetsBatchTime(t *testing.T) {
	h := streamtest.New(t, time.Second)
	src, q := streamtest.Input[kvi](h)
	ms := engine.MapWithState(src, engine.StateSpec[string, int, struct{}, int64]{
		Func: func(bt time.Time, _ string, _ engine.Opt[int], _ *engine.State[struct{}]) int64 {
			return bt.UnixMilli()
		},
	})
	out := streamtest.Collect(h, ms.DStream)
	h.Start()
	q.Push(ki("x", 1))
	q.Push(ki("y", 1), ki("z", 1))
	h.Advance(2)
	checkBatches(t, h, out, [][]string{
		{fmt.Sprint(h.BatchTime(0).UnixMilli())},
		strs(fmt.Sprint(h.BatchTime(1).UnixMilli()), fmt.Sprint(h.BatchTime(1).UnixMilli())),
	})
}

// TestStatefulManyKeys runs both state operators over many keys and
// batches, several partitions, against a plain map.
func TestStatefulManyKeys(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.default.parallelism", "4"))
	src, q := streamtest.Input[engine.Pair[int, int]](h)
	upd := streamtest.Collect(h, engine.UpdateStateByKey(src, func(vs []int, st engine.Opt[int]) engine.Opt[int] {
		s := st.Value
		for _, v := range vs {
			s += v
		}
		return engine.Some(s)
	}))
	ms := engine.MapWithState(src, engine.StateSpec[int, int, int, struct{}]{
		Func: func(_ time.Time, _ int, v engine.Opt[int], st *engine.State[int]) struct{} {
			st.Update(st.Get() + v.Value)
			return struct{}{}
		},
	})
	snaps := streamtest.Collect(h, ms.StateSnapshots())
	h.Start()
	const n = 15
	sums := map[int]int{}
	var want [][]string
	for b := range n {
		var batch []engine.Pair[int, int]
		for i := range 300 {
			k := (b*131 + i*17) % 97
			batch = append(batch, engine.KV(k, i%5))
			sums[k] += i % 5
		}
		q.Push(batch...)
		var w []string
		for _, k := range slices.Sorted(maps.Keys(sums)) {
			w = append(w, fmt.Sprintf("(%d,%d)", k, sums[k]))
		}
		want = append(want, strs(w...))
	}
	h.Advance(n)
	checkBatches(t, h, upd, want)
	checkBatches(t, h, snaps, want)
}

// TestMapWithStateRecordsOfAKeyInOneBatch: the calls for one key's records
// in a batch run in arrival order, each seeing the state the previous one
// left (updated, untouched, removed, created again), and the state after
// the batch is the last call's.
func TestMapWithStateRecordsOfAKeyInOneBatch(t *testing.T) {
	spec := engine.StateSpec[string, int, int, string]{
		Func: func(_ time.Time, key string, v engine.Opt[int], st *engine.State[int]) string {
			seen := fmt.Sprintf("%s:%d saw %d/%t", key, v.Value, st.Get(), st.Exists())
			switch {
			case v.Value > 0:
				st.Update(st.Get() + v.Value)
			case v.Value < 0:
				st.Remove()
			}
			return seen
		},
		Timeout: time.Hour,
	}
	in := [][]kvi{
		{ki("k", 1), ki("k", 0), ki("k", 2), ki("k", -1), ki("k", 0), ki("k", 5), ki("j", 0)},
		{ki("k", 0), ki("k", -1), ki("j", 3), ki("k", 0)},
	}
	h := streamtest.New(t, time.Second)
	src, q := streamtest.Input[kvi](h)
	ms := engine.MapWithState(src, spec)
	mapped := streamtest.Collect(h, ms.DStream)
	snaps := streamtest.Collect(h, ms.StateSnapshots())
	h.Start()
	pushAll(q, in)
	h.Advance(len(in))
	wantMapped := [][]string{
		{"k:1 saw 0/false", "k:0 saw 1/true", "k:2 saw 1/true", "k:-1 saw 3/true", "k:0 saw 0/false", "k:5 saw 0/false", "j:0 saw 0/false"},
		{"k:0 saw 5/true", "k:-1 saw 5/true", "k:0 saw 0/false", "j:3 saw 0/false"},
	}
	for _, b := range wantMapped {
		slices.Sort(b)
	}
	checkBatches(t, h, mapped, wantMapped)
	checkBatches(t, h, snaps, [][]string{{"(k,5)"}, {"(j,3)"}})
}
