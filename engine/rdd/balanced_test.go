package rdd

import (
	"context"
	"slices"
	"testing"

	"github.com/gostream/gostream/engine/task"
)

func TestBalancedSplitsEvenlyInOrder(t *testing.T) {
	env := &Env{Backend: NewLocalBackend(2, task.Policy{}), Parallelism: 2}
	chunks := [][]int{{0, 1, 2, 3, 4, 5, 6}, {}, {7}, {8, 9}}
	for parts := 1; parts <= 12; parts++ {
		r := Balanced(env, chunks, parts)
		var all []int
		for p := range parts {
			var got []int
			if err := r.Compute(context.Background(), p, func(x int) { got = append(got, x) }); err != nil {
				t.Fatal(err)
			}
			if want := (p+1)*10/parts - p*10/parts; len(got) != want {
				t.Errorf("parts=%d partition %d: %d elements, want %d", parts, p, len(got), want)
			}
			all = append(all, got...)
		}
		if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(all, want) {
			t.Errorf("parts=%d: got %v, want %v", parts, all, want)
		}
	}
}
