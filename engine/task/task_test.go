package task

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKindOf(t *testing.T) {
	lost := fmt.Errorf("connect: refused (%w)", ErrExecutorLost)
	fetch := &FetchFailedError{Stage: "3@1000/0", Map: 2, Executor: "2", Err: lost}
	for _, tc := range []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, None},
		{"user error", errors.New("bad record"), Own},
		{"task error", &Error{Stage: "s", Err: errors.New("boom")}, Own},
		{"a task's own timeout", &Error{Stage: "s", Err: context.DeadlineExceeded}, Own},
		{"lost", lost, ExecutorLost},
		{"fetch failed, holder lost", fmt.Errorf("reduce: %w", fetch), FetchFailed},
		{"fetch failure inside a task error", &Error{Stage: "s", Err: fetch}, FetchFailed},
		{"auth beats lost", fmt.Errorf("%w (%w)", ErrAuth, ErrExecutorLost), Auth},
		{"protocol", fmt.Errorf("task spec: %w", ErrProtocol), Protocol},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestStateOf(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want State
	}{
		{live, nil, Succeeded},
		{live, errors.New("x"), Failed},
		{live, ErrExecutorLost, Lost},
		{live, ErrAuth, Failed},
		{done, context.Canceled, Cancelled},
		{done, nil, Succeeded},
	} {
		if got := StateOf(tc.ctx, tc.err); got != tc.want {
			t.Errorf("StateOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if Pending.String() != "pending" || State(42).String() != "State(42)" || FetchFailed.String() != "fetch_failed" {
		t.Errorf("names: %v %v %v", Pending, State(42), FetchFailed)
	}
}

// script is an attempt function failing with errs in turn, then succeeding.
type script struct {
	errs  []error
	calls int
}

func (s *script) attempt(context.Context) error {
	s.calls++
	if s.calls <= len(s.errs) {
		return s.errs[s.calls-1]
	}
	return nil
}

func TestPolicyRun(t *testing.T) {
	own := &Error{Stage: "map", Partition: 1, Err: errors.New("bad record")}
	lost := fmt.Errorf("executor 2: %w", ErrExecutorLost)
	for _, tc := range []struct {
		name      string
		max       int
		errs      []error
		wantCalls int
		wantErr   error // nil: success
	}{
		{"succeeds at once", 4, nil, 1, nil},
		{"own errors retried", 4, []error{own, own, own}, 4, nil},
		{"own errors up to max", 4, []error{own, own, own, own, own}, 4, own},
		{"no retry with max 1", 1, []error{own}, 1, own},
		{"max below 1 is 1", 0, []error{own}, 1, own},
		{"lost not counted", 2, []error{lost, lost, own, lost}, 5, nil},
		{"lost bounded", 4, repeat(lost, MaxLost+1), MaxLost + 1, ErrExecutorLost},
		{"auth not retried", 4, []error{ErrAuth}, 1, ErrAuth},
		{"protocol not retried", 4, []error{fmt.Errorf("spec: %w", ErrProtocol)}, 1, ErrProtocol},
		{"fetch failure not retried", 4, []error{&FetchFailedError{Stage: "s", Err: lost}}, 1, ErrExecutorLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{errs: tc.errs}
			var retried []Kind
			err := Policy{MaxFailures: tc.max, Retrying: func(_ int, _ error, k Kind) { retried = append(retried, k) }}.Run(t.Context(), s.attempt)
			if s.calls != tc.wantCalls {
				t.Errorf("%d attempts, want %d", s.calls, tc.wantCalls)
			}
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if len(retried) != s.calls-1 {
				t.Errorf("Retrying called %d times for %d attempts", len(retried), s.calls)
			}
			for i, k := range retried {
				if k != KindOf(tc.errs[i]) {
					t.Errorf("attempt %d retried as %v, want %v", i, k, KindOf(tc.errs[i]))
				}
			}
		})
	}
}

func TestPolicyRunGivesUpSaysSo(t *testing.T) {
	own := &Error{Stage: "map", Partition: 1, Err: errors.New("bad record")}
	err := Policy{MaxFailures: 2}.Run(t.Context(), (&script{errs: []error{own, own}}).attempt)
	if got, ok := errors.AsType[*Error](err); !ok || got != own {
		t.Fatalf("err = %v, want the task's error", err)
	}
	if want := "the task failed 2 times: gostream.task.maxFailures=2"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to say %q", err, want)
	}
}

func TestPolicyRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := Policy{MaxFailures: 4}.Run(ctx, func(ctx context.Context) error {
		calls++
		cancel()
		return ctx.Err()
	})
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("calls %d, err %v: want one attempt and context.Canceled", calls, err)
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
