package engine_test

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
	"github.com/gostream/gostream/hdfsstore"
)

// TestContextClosesItsResolver: a context closes the HDFS connections of
// the resolver it made when it stops, and leaves one given WithResolver to
// its owner.
func TestContextClosesItsResolver(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	const nowhere = "hdfs://127.0.0.1:1/x" // nothing listens: a dial fails at once
	ssc, err := engine.NewContext(nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ssc.Stop(false)
	if _, _, err := ssc.FileSystem(t.Context(), nowhere); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("FileSystem after Stop: %v, want fs.ErrClosed", err)
	}

	r := &hdfsstore.Resolver{DialTimeout: time.Second}
	defer r.Close()
	ssc, err = engine.NewContext(nil, time.Second, engine.WithResolver(r))
	if err != nil {
		t.Fatal(err)
	}
	ssc.Stop(false)
	if _, _, err := r.ForPath(t.Context(), nowhere); !errors.Is(err, hdfsstore.ErrUnavailable) {
		t.Errorf("the caller's resolver after Stop: %v, want it open (ErrUnavailable from the dial)", err)
	}
}

// TestExecutorContextsTakeItsOptions: the options given NewExecutor
// configure every context it builds, for receivers and for tasks, so an
// executor process shares its one resolver (WithResolver) and keeps it open;
// without one, a receiver's context closes the resolver it made when the
// receiver ends.
func TestExecutorContextsTakeItsOptions(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	const nowhere = "hdfs://127.0.0.1:1/x" // nothing listens: a dial fails at once
	var built []*engine.Context
	setup := func(ssc *engine.Context) error { built = append(built, ssc); return nil }

	// A context of its own for a receiver: closed when the receiver ends.
	if err := engine.NewExecutor(conf.Defaults(), time.Second, setup).ServeReceiver(t.Context(), cluster.ReceiverRun{}, nil); !errors.Is(err, task.ErrProtocol) {
		t.Fatalf("ServeReceiver of a graph without receivers: %v, want task.ErrProtocol", err)
	}
	if len(built) != 1 {
		t.Fatalf("%d contexts built, want 1", len(built))
	}
	if _, _, err := built[0].FileSystem(t.Context(), nowhere); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("a receiver context's own resolver after the receiver: %v, want fs.ErrClosed", err)
	}

	// The executor's resolver: every context uses it and leaves it open.
	built = nil
	r := &hdfsstore.Resolver{DialTimeout: time.Second}
	defer r.Close()
	x := engine.NewExecutor(conf.Defaults(), time.Second, setup, engine.WithResolver(r))
	if err := x.ServeReceiver(t.Context(), cluster.ReceiverRun{}, nil); !errors.Is(err, task.ErrProtocol) {
		t.Fatalf("ServeReceiver of a graph without receivers: %v, want task.ErrProtocol", err)
	}
	// A spec from another build: the task's context is built, then refused.
	if _, err := x.TaskRunner(nil, nil).RunTask(t.Context(), []byte(`{"fingerprint":"another build","parallelism":1}`), nil); !errors.Is(err, task.ErrProtocol) {
		t.Fatalf("RunTask of another build's spec: %v, want task.ErrProtocol", err)
	}
	if len(built) != 2 {
		t.Fatalf("%d contexts built, want 2 (a receiver's, a task's)", len(built))
	}
	for i, ssc := range built {
		if _, _, err := ssc.FileSystem(t.Context(), nowhere); !errors.Is(err, hdfsstore.ErrUnavailable) {
			t.Errorf("context %d: %v, want the executor's resolver, open (ErrUnavailable from the dial)", i, err)
		}
	}
	if _, _, err := r.ForPath(t.Context(), nowhere); !errors.Is(err, hdfsstore.ErrUnavailable) {
		t.Errorf("the executor's resolver after its contexts: %v, want it open (ErrUnavailable from the dial)", err)
	}
}
