package container

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine/task"
)

// A shuffle connection that does not prove the application's secret is
// refused.
func TestShuffleConnectionWithAWrongSecretIsRefused(t *testing.T) {
	ep := newEndpoint(t)
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: newFakeTasks().on("1")})
	out, err := runTask(t, ep, testSpec{Input: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	intruder := newShuffleClient("wrong", "intruder", 2*time.Second, nil)
	defer intruder.close()
	_, err = intruder.ReadBucket(t.Context(), out, 0)
	if !errors.Is(err, ErrAuth) || task.KindOf(err) != task.Auth {
		t.Fatalf("read with a wrong secret: %v, want ErrAuth, an authentication failure", err)
	}
}

// Concurrent reads share a few connections; a broken connection leaves the
// pool and the next read dials again.
func TestShuffleClientPoolsConnections(t *testing.T) {
	ep := newEndpoint(t)
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: newFakeTasks().on("1")})
	out, err := runTask(t, ep, testSpec{Input: "p"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			b, err := ep.ReadBucket(t.Context(), out, i%2)
			if err == nil && string(b) != fmt.Sprintf("in:p/%d", i%2) {
				err = fmt.Errorf("read %q", b)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c := ep.shuffle
	c.mu.Lock()
	pool := c.pools[out.Addr]
	if n := len(pool); n < 1 || n > shuffleConnsPerAddr {
		t.Errorf("%d connections to one server", n)
	}
	for _, sc := range pool {
		sc.conn.Close() // as if the network broke them
	}
	c.mu.Unlock()
	if got := readBucket(t, ep, out, 0); got != "in:p/0" {
		t.Errorf("read after the connections broke: %q", got)
	}
}
