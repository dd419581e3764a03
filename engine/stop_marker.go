package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// The stop marker (gostream.streaming.stopMarker) is the production way to
// stop a long-running application, from the seeds' advice: the driver
// creates the marker file when it starts, and an operator deletes it to ask
// for a graceful stop. Only a marker seen missing stops the application: a
// marker that cannot be checked (HDFS briefly unavailable) is logged and
// checked again at the next poll.

// createStopMarker makes sure the marker exists, so that deleting it is
// what an operator does to stop the application. It runs before Start: a
// marker that cannot be created is a clear error at start, not a surprise
// later.
func (c *Context) createStopMarker(ctx context.Context) (hdfsstore.FS, string, error) {
	name := conf.StopMarker + "=" + c.settings.stopMarker
	fsys, p, err := c.fileSystem(c.settings.stopMarker)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.settings.storageTimeout())
	defer cancel()
	_, err = fsys.Stat(ctx, p)
	switch {
	case err == nil:
		return fsys, p, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("%s: check the stop marker: %w", name, err)
	}
	if err := hdfsstore.WriteFileAtomic(ctx, fsys, p, nil); err != nil {
		return nil, "", fmt.Errorf("%s: create the stop marker (its directory must exist and be writable; or choose another path): %w", name, err)
	}
	c.log.Info("stop marker created: delete it to stop the application gracefully", "marker", c.settings.stopMarker)
	return fsys, p, nil
}

// watchStopMarker checks the marker every poll interval until ctx ends, and
// stops the context gracefully once the marker is gone.
func (c *Context) watchStopMarker(ctx context.Context, fsys hdfsstore.FS, p string) {
	t := time.NewTicker(c.settings.stopMarkerPoll)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sctx, cancel := context.WithTimeout(ctx, c.settings.networkTimeout)
		_, err := fsys.Stat(sctx, p)
		cancel()
		switch {
		case err == nil:
			failures = 0
		case errors.Is(err, fs.ErrNotExist):
			c.log.Info("stop marker deleted: stopping gracefully", "marker", c.settings.stopMarker)
			c.Stop(true)
			return
		case ctx.Err() != nil, errors.Is(err, fs.ErrClosed): // the context stopped and closed its file systems
			return
		default:
			failures++
			c.log.Warn("cannot check the stop marker; the application keeps running and checks again", "marker", c.settings.stopMarker, "failures", failures, "err", err)
		}
	}
}
