package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestWaitRestartsWhileBatchesComplete: the wait gives up only after the
// driver has stopped completing batches, however long it completed them.
func TestWaitRestartsWhileBatchesComplete(t *testing.T) {
	const progressing = 200 // polls that show a new batch: 2 × the timeout
	var mu sync.Mutex
	polls := 0
	completed := func() (int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		return int64(min(polls, progressing)), true
	}
	gaveUp := make(chan int, 1)
	cancelWithoutProgress(context.Background(), time.Second, 10*time.Millisecond, completed, func() {
		mu.Lock()
		gaveUp <- polls
		mu.Unlock()
	})
	if n := <-gaveUp; n <= progressing {
		t.Errorf("the wait gave up after %d polls, while the driver still completed batches (%d polls)", n, progressing)
	}
}

// TestWaitWithFixedTimeout: without a progress source the timeout bounds
// the whole wait.
func TestWaitWithFixedTimeout(t *testing.T) {
	gaveUp := false
	cancelWithoutProgress(context.Background(), 10*time.Millisecond, time.Millisecond, nil, func() { gaveUp = true })
	if !gaveUp {
		t.Error("the wait did not give up")
	}
}
