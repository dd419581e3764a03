package engine_test

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
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
