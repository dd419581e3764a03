package rdd

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/gostream/gostream/engine/task"
)

// groupModel is GroupByKey as a plain loop: every key's values in the order
// of the partitions, then of the elements in each.
func groupModel[K comparable, V any](parts [][]Pair[K, V]) map[K][]V {
	want := map[K][]V{}
	for _, p := range parts {
		for _, kv := range p {
			want[kv.Key] = append(want[kv.Key], kv.Value)
		}
	}
	return want
}

// TestGroupByKeyKeepsArrivalOrder: each key once, in the partition its hash
// names, with all its values in the order they came, map partition by map
// partition — whatever the number of map and reduce partitions, and more
// values than one chunk of a map task holds.
func TestGroupByKeyKeepsArrivalOrder(t *testing.T) {
	for _, tc := range []struct{ maps, reduces, n, keys int }{
		{1, 1, 10, 3}, {3, 1, 50, 7}, {1, 4, 50, 7}, {4, 3, 3 * arrivalChunkLen, 101}, {2, 5, 0, 1},
	} {
		t.Run(fmt.Sprintf("%d maps %d reduces %d values", tc.maps, tc.reduces, tc.n), func(t *testing.T) {
			in := make([][]Pair[string, int], tc.maps)
			for i := range tc.n {
				m := i * 7 % tc.maps
				in[m] = append(in[m], KV(fmt.Sprintf("k%d", i*i%tc.keys), i))
			}
			grouped := GroupByKey(FromPartitions(testEnv(2, 2), in), tc.reduces)
			if grouped.HashedBy() != tc.reduces {
				t.Errorf("HashedBy = %d, want %d", grouped.HashedBy(), tc.reduces)
			}
			got := map[string][]int{}
			for p, items := range partitionsOf(t, grouped) {
				for _, kv := range items {
					if _, twice := got[kv.Key]; twice {
						t.Errorf("key %s emitted twice", kv.Key)
					}
					if q := PartitionOf(kv.Key, tc.reduces); q != p {
						t.Errorf("key %s in partition %d, PartitionOf says %d", kv.Key, p, q)
					}
					got[kv.Key] = kv.Value
				}
			}
			if want := groupModel(in); !maps.EqualFunc(got, want, slices.Equal) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestGroupByKeyValuesAreTheirOwn: appending to one key's values (as an
// update function may) leaves the other keys' values as they were.
func TestGroupByKeyValuesAreTheirOwn(t *testing.T) {
	in := [][]Pair[int, int]{{KV(1, 10), KV(2, 20), KV(1, 11)}, {KV(2, 21), KV(1, 12)}}
	items := mustCollect(t, GroupByKey(FromPartitions(testEnv(2, 2), in), 1))
	for _, kv := range items {
		_ = append(kv.Value, -1)
	}
	got := map[int][]int{}
	for _, kv := range items {
		got[kv.Key] = kv.Value
	}
	if want := groupModel(in); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after appending to each key's values: got %v, want %v", got, want)
	}
}

// TestGroupByKeyElsewhere: groups cross processes encoded with gob, and a
// lost map output is grouped again, with the same result.
func TestGroupByKeyElsewhere(t *testing.T) {
	in := [][]Pair[string, int]{{KV("a", 1), KV("b", 2), KV("a", 3)}, {KV("c", 4), KV("a", 5)}, {}, {KV("b", 6)}}
	want := groupModel(in)
	for _, lose := range []error{nil, fmt.Errorf("gone (%w)", task.ErrOutputMissing)} {
		env, e := elsewhereEnv(lose)
		grouped := GroupByKey(FromPartitions(env, in), 3)
		for i, st := range Stages(grouped) {
			st.Label(fmt.Sprintf("g/%d", i))
		}
		got := map[string][]int{}
		for _, kv := range mustCollect(t, grouped) {
			got[kv.Key] = kv.Value
		}
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("lose=%v: got %v, want %v", lose, got, want)
		}
		if e.remote != len(in) {
			t.Errorf("lose=%v: %d map tasks ran elsewhere, want %d", lose, e.remote, len(in))
		}
	}
}
