package rdd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// elsewhere is a backend that runs labelled map tasks "in another process":
// through Stage.RunMapTask, keeping the encoded buckets in a store read by
// ReadBucket. lose makes every stored output unreadable.
type elsewhere struct {
	local *LocalBackend
	lose  bool

	mu     sync.Mutex
	store  map[string][][]byte
	remote int
}

func (e *elsewhere) Slots() int { return e.local.Slots() }

func (e *elsewhere) RunTasks(ctx context.Context, tasks []Task) error {
	var here []Task
	for _, t := range tasks {
		if t.Remote == nil {
			here = append(here, t)
			continue
		}
		buckets, err := t.Remote.Stage.RunMapTask(ctx, t.Partition)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s/%d", t.Remote.Stage.Ref(), t.Partition)
		e.mu.Lock()
		e.store[key] = buckets
		e.remote++
		e.mu.Unlock()
		t.Remote.Done(MapOutput{Executor: "e", Addr: "fake", Key: key})
	}
	return e.local.RunTasks(ctx, here)
}

func (e *elsewhere) ReadBucket(_ context.Context, out MapOutput, reduce int) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lose {
		return nil, errors.New("executor e is gone")
	}
	return e.store[out.Key][reduce], nil
}

func elsewhereEnv(lose bool) (*Env, *elsewhere) {
	e := &elsewhere{local: NewLocalBackend(2), lose: lose, store: map[string][][]byte{}}
	return &Env{Backend: e, Parallelism: 3, Shuffle: e}, e
}

// wordCount labels every stage it creates, as the engine does.
func wordCount(env *Env, words []string) *RDD[Pair[string, int]] {
	pairs := Map(Parallelize(env, words, 4), func(w string) Pair[string, int] { return KV(w, 1) })
	counts := ReduceByKey(pairs, func(a, b int) int { return a + b }, 3)
	for i, st := range Stages(counts) {
		st.Label(fmt.Sprintf("wc/%d", i))
	}
	return counts
}

func sortedPairs[K comparable, V any](items []Pair[K, V]) []string {
	out := make([]string, len(items))
	for i, kv := range items {
		out[i] = fmt.Sprint(kv)
	}
	slices.Sort(out)
	return out
}

var shuffleWords = strings.Fields("a b c a b a d e f a b c")

func TestLabelledStageRunsElsewhere(t *testing.T) {
	want := sortedPairs(mustCollect(t, wordCount(testEnv(2, 3), shuffleWords)))
	env, e := elsewhereEnv(false)
	got := sortedPairs(mustCollect(t, wordCount(env, shuffleWords)))
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if e.remote != 4 {
		t.Errorf("%d map tasks ran elsewhere, want all 4", e.remote)
	}
}

func TestLostMapOutputsAreRecomputed(t *testing.T) {
	want := sortedPairs(mustCollect(t, wordCount(testEnv(2, 3), shuffleWords)))
	env, _ := elsewhereEnv(true)
	if got := sortedPairs(mustCollect(t, wordCount(env, shuffleWords))); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStagesOutliveTheirCache(t *testing.T) {
	env, _ := elsewhereEnv(false)
	counts := wordCount(env, shuffleWords)
	mustCollect(t, counts) // every partition of the cached reduce side is computed
	byCount := ReduceByKey(Map(counts, func(kv Pair[string, int]) Pair[int, int] { return KV(kv.Value, 1) }), func(a, b int) int { return a + b }, 2)
	stages := Stages(byCount)
	if len(stages) != 2 || stages[0].Ref() != "wc/0" || stages[1].Ref() != "" {
		t.Fatalf("stages of a shuffle over a computed labelled cache: %d, want the labelled upstream one and the new one", len(stages))
	}
	if up := stages[1].Upstream(); len(up) != 1 || up[0] != stages[0] {
		t.Errorf("upstream of the new stage: %v, want the word count's", up)
	}
	if outs, ok := stages[0].Outputs(); !ok || len(outs) != 4 {
		t.Errorf("outputs of the word count's stage: %v %v, want 4 held elsewhere", outs, ok)
	}

	// Unlabelled stages are forgotten once their cache is whole: state
	// chains must not keep every earlier batch.
	plain := ReduceByKey(Map(Parallelize(testEnv(2, 3), shuffleWords, 2), func(w string) Pair[string, int] { return KV(w, 1) }), func(a, b int) int { return a + b }, 2)
	mustCollect(t, plain)
	if n := len(Stages(plain)); n != 0 {
		t.Errorf("a computed cache of an unlabelled shuffle still lists %d stages", n)
	}
}

type unexported struct{ n int }

func TestBucketsOfUnencodableTypesAreAClearError(t *testing.T) {
	env, _ := elsewhereEnv(false)
	pairs := Map(Parallelize(env, []int{1, 2, 3}, 2), func(i int) Pair[unexported, int] { return KV(unexported{i}, i) })
	r := ReduceByKey(pairs, func(a, b int) int { return a + b }, 2)
	Stages(r)[0].Label("u/0")
	_, err := r.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exported fields") {
		t.Fatalf("err = %v, want a clear gob error", err)
	}
}
