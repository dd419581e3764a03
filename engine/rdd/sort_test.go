package rdd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortByKey: Spark's sortByKey, ascending and descending: the
// partitions hold consecutive key ranges in order, each sorted, so Collect
// is in key order; every pair is kept; the ranges are balanced.
func TestSortByKey(t *testing.T) {
	env := testEnv(2, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	var in []Pair[int, string]
	for i := range 1000 {
		k := rng.IntN(500)
		in = append(in, KV(k, fmt.Sprint(i)))
	}
	src := Parallelize(env, in, 5)
	for _, ascending := range []bool{true, false} {
		t.Run(fmt.Sprintf("ascending=%v", ascending), func(t *testing.T) {
			sorted := SortByKey(src, ascending, 4)
			if sorted.NumPartitions() != 4 {
				t.Fatalf("%d partitions, want 4", sorted.NumPartitions())
			}
			got := mustCollect(t, sorted)
			keys := make([]int, len(got))
			for i, kv := range got {
				keys[i] = kv.Key
			}
			want := make([]int, len(in))
			for i, kv := range in {
				want[i] = kv.Key
			}
			slices.Sort(want)
			if !ascending {
				slices.Reverse(want)
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("keys not in order:\n got  %v\n want %v", keys, want)
			}
			gotPairs, wantPairs := slices.Clone(got), slices.Clone(in)
			byAll := func(a, b Pair[int, string]) int {
				if a.Key != b.Key {
					return a.Key - b.Key
				}
				return strings.Compare(a.Value, b.Value)
			}
			slices.SortFunc(gotPairs, byAll)
			slices.SortFunc(wantPairs, byAll)
			if !slices.Equal(gotPairs, wantPairs) {
				t.Fatal("the sorted pairs differ from the input's")
			}
			for p, part := range partitionsOf(t, sorted) {
				if len(part) < 150 || len(part) > 350 {
					t.Errorf("partition %d holds %d of 1000 pairs; want balanced ranges", p, len(part))
				}
			}
		})
	}
}

// TestSortByKeySmallAndEmpty: fewer pairs than partitions, one key only,
// and no pairs at all.
func TestSortByKeySmallAndEmpty(t *testing.T) {
	env := testEnv(2, 2)
	for _, tc := range []struct {
		name string
		in   []Pair[string, int]
		want string
	}{
		{"fewer pairs than partitions", []Pair[string, int]{KV("b", 1), KV("a", 2)}, "[(a,2) (b,1)]"},
		{"one key", []Pair[string, int]{KV("k", 1), KV("k", 1), KV("k", 1)}, "[(k,1) (k,1) (k,1)]"},
		{"nothing", nil, "[]"},
	} {
		got := mustCollect(t, SortByKey(Parallelize(env, tc.in, 3), true, 0))
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}
