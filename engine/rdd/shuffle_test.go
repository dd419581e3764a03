package rdd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gostream/gostream/engine/task"
)

// elsewhere is a backend that runs labelled map tasks "in another process":
// through Stage.RunMapTask, keeping the encoded buckets in a store read by
// ReadBucket. lose makes every stored output unreadable with that error.
type elsewhere struct {
	local *LocalBackend
	lose  error

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
	if e.lose != nil {
		return nil, e.lose
	}
	return e.store[out.Key][reduce], nil
}

func elsewhereEnv(lose error) (*Env, *elsewhere) {
	e := &elsewhere{local: NewLocalBackend(2, task.Policy{}), lose: lose, store: map[string][][]byte{}}
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
	env, e := elsewhereEnv(nil)
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
	for _, lose := range []error{
		fmt.Errorf("connect: refused (%w)", task.ErrExecutorLost),
		fmt.Errorf("no map output wc/0/1 (%w)", task.ErrOutputMissing),
	} {
		env, _ := elsewhereEnv(lose)
		if got := sortedPairs(mustCollect(t, wordCount(env, shuffleWords))); !slices.Equal(got, want) {
			t.Errorf("outputs lost with %v: got %v, want %v", lose, got, want)
		}
	}
}

// TestUnreadableMapOutputsAreNotRecomputed: only a lost output is computed
// again; refused credentials fail the read, and say why.
func TestUnreadableMapOutputsAreNotRecomputed(t *testing.T) {
	env, _ := elsewhereEnv(fmt.Errorf("executor e refused the connection (%w)", task.ErrAuth))
	_, err := wordCount(env, shuffleWords).Collect(t.Context())
	if task.KindOf(err) != task.Auth {
		t.Fatalf("err = %v (kind %v), want an authentication error", err, task.KindOf(err))
	}
}

// TestLostOutputOfAForgottenParentIsAFetchFailure: a stage that forgot its
// parent cannot recompute an output lost with its holder.
func TestLostOutputOfAForgottenParentIsAFetchFailure(t *testing.T) {
	env, e := elsewhereEnv(nil)
	counts := wordCount(env, shuffleWords)
	st := Stages(counts)[0]
	if err := RunStages(t.Context(), counts); err != nil {
		t.Fatal(err)
	}
	outs, _ := st.Outputs()
	ms := st.(*mapStage[Pair[string, int], map[string]*int])
	ms.mu.Lock()
	ms.parent = nil
	ms.mu.Unlock()
	e.lose = fmt.Errorf("connect: refused (%w)", task.ErrExecutorLost)
	_, err := counts.Collect(t.Context())
	fe, ok := errors.AsType[*task.FetchFailedError](err)
	if !ok || fe.Stage != "wc/0" || fe.Executor != outs[0].Executor {
		t.Fatalf("err = %v, want a fetch failure of wc/0 on %s", err, outs[0].Executor)
	}
}

func TestStagesOutliveTheirCache(t *testing.T) {
	env, _ := elsewhereEnv(nil)
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
	env, _ := elsewhereEnv(nil)
	pairs := Map(Parallelize(env, []int{1, 2, 3}, 2), func(i int) Pair[unexported, int] { return KV(unexported{i}, i) })
	r := ReduceByKey(pairs, func(a, b int) int { return a + b }, 2)
	Stages(r)[0].Label("u/0")
	_, err := r.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exported fields") {
		t.Fatalf("err = %v, want a clear gob error", err)
	}
}
