package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

type writerState int

const (
	writerOpen writerState = iota
	writerCommitted
	writerFailed // a Write or Commit failed: only Abort is left
	writerAborted
)

// hdfsWriter is an HDFS file being written. Not safe for concurrent use.
type hdfsWriter struct {
	h    *HDFS
	f    *hdfs.FileWriter
	name string

	mu       sync.Mutex
	state    writerState
	werr     error         // the first Write error
	inflight chan struct{} // closed when a Close that Commit abandoned has ended
}

func (w *hdfsWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.state != writerOpen:
		return 0, &fs.PathError{Op: "write", Path: w.h.uri(w.name), Err: fs.ErrClosed}
	case w.werr != nil:
		return 0, w.werr
	case len(p) == 0:
		// The client would allocate a block for nothing, which no DataNode
		// ever reports: the file could then never be completed.
		return 0, nil
	}
	_ = w.f.SetDeadline(time.Now().Add(w.h.opts.OpTimeout))
	n, err := w.f.Write(p)
	if err != nil {
		w.werr = w.h.pathError("write", w.name, err)
		return n, w.werr
	}
	return n, nil
}

// Commit closes the file and waits until the NameNode has completed it,
// retrying with backoff (up to CommitTimeout) while it answers that the last
// block is still replicating.
func (w *hdfsWriter) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case writerCommitted, writerAborted:
		return &fs.PathError{Op: "commit", Path: w.h.uri(w.name), Err: fs.ErrClosed}
	case writerFailed:
		return &fs.PathError{Op: "commit", Path: w.h.uri(w.name), Err: errors.New("an earlier Write or Commit failed; Abort and write the file again")}
	}
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: "commit", Path: w.h.uri(w.name), Err: err}
	}
	if w.werr != nil {
		w.state = writerFailed
		return w.werr
	}
	giveUp := time.Now().Add(w.h.opts.CommitTimeout)
	backoff := 20 * time.Millisecond
	for {
		err := w.closeOnce(ctx)
		switch {
		case err == nil:
			w.state = writerCommitted
			return nil
		case hdfs.IsErrReplicating(err) && time.Now().Before(giveUp):
			if serr := sleepCtx(ctx, backoff); serr != nil {
				w.state = writerFailed
				return &fs.PathError{Op: "commit", Path: w.h.uri(w.name), Err: serr}
			}
			backoff = min(2*backoff, 2*time.Second)
		case hdfs.IsErrReplicating(err):
			w.state = writerFailed
			return &fs.PathError{Op: "commit", Path: w.h.uri(w.name),
				Err: fmt.Errorf("last block still replicating after %v (%w)", w.h.opts.CommitTimeout, ErrUnavailable)}
		default:
			w.state = writerFailed
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return &fs.PathError{Op: "commit", Path: w.h.uri(w.name), Err: err}
			}
			return w.h.pathError("commit", w.name, err)
		}
	}
}

// closeOnce makes one attempt at closing the file. If ctx ends first, the
// attempt goes on in the background and w.inflight tells when it is over.
func (w *hdfsWriter) closeOnce(ctx context.Context) error {
	inflight := make(chan struct{})
	w.inflight = inflight
	_, err := call(ctx, w.h, func() (struct{}, error) {
		_ = w.f.SetDeadline(time.Now().Add(w.h.opts.OpTimeout))
		return struct{}{}, w.f.Close()
	}, func(struct{}, error) { close(inflight) })
	if err == nil || !(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isOpTimeout(err)) {
		close(inflight) // the attempt is over (call returned its result)
	}
	return err
}

func isOpTimeout(err error) bool {
	var t *opTimeoutError
	return errors.As(err, &t)
}

// Abort removes what was written. After a successful Commit it does nothing.
func (w *hdfsWriter) Abort(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case writerCommitted, writerAborted:
		return nil
	}
	// Let a Close that Commit gave up on finish: it must not complete the
	// file after we removed it.
	if w.inflight != nil {
		select {
		case <-w.inflight:
		case <-ctx.Done():
			return &fs.PathError{Op: "abort", Path: w.h.uri(w.name), Err: ctx.Err()}
		case <-time.After(2 * w.h.opts.OpTimeout):
		}
	}
	// Close (best effort) to end the DataNode pipeline and the lease.
	_, _ = call(ctx, w.h, func() (struct{}, error) {
		_ = w.f.SetDeadline(time.Now().Add(w.h.opts.OpTimeout))
		return struct{}{}, w.f.Close()
	}, nil)
	w.state = writerAborted
	_, err := call(ctx, w.h, func() (struct{}, error) { return struct{}{}, w.h.client.Remove(w.name) }, nil)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return w.h.pathError("abort", w.name, err)
	}
	return nil
}

// hdfsReader reads a committed file; each Read must make progress within
// OpTimeout.
type hdfsReader struct {
	h    *HDFS
	f    *hdfs.FileReader
	name string
}

func (r *hdfsReader) Read(p []byte) (int, error) {
	_ = r.f.SetDeadline(time.Now().Add(r.h.opts.OpTimeout))
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		return n, r.h.pathError("read", r.name, err)
	}
	return n, err
}

func (r *hdfsReader) Close() error { return r.f.Close() }
