package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// One writer per checkpoint directory. A driver takes the directory's lease
// (hdfsstore.Lease) before it reads or writes anything there, renews it on
// a goroutine of its own, and releases it when it stops. Every change the
// driver makes through the context's file systems (checkpoints, snapshots,
// WAL segments, the metadata log, outputs renamed into place, cleaning)
// first checks that no newer holder took the lease over (Context.FileSystem
// wraps them with hdfsstore.Fenced); a driver that finds itself fenced stops
// with an error naming the new holder. A new YARN attempt of the same
// application takes over at once, and so does any driver from a holder known
// to be gone (a local run whose process is gone, an application YARN has
// ended: WithApplicationEnded); otherwise a driver waits for the holder to
// release the lease or for it to expire.

// WithApplicationAttempt names the YARN application attempt the driver
// runs as: it takes the checkpoint directory's lease over from earlier
// attempts of the same application at once. Without it a driver is a local
// run, named by a random run id, its host and its pid.
func WithApplicationAttempt(app string, attempt int) Option {
	return func(s *Context) { s.leaseApp, s.leaseAttempt = app, attempt }
}

// ApplicationEnded reports whether the YARN application app (an id such as
// application_1700000000000_0001) has ended: FINISHED, FAILED or KILLED. An
// error means it cannot tell.
type ApplicationEnded func(ctx context.Context, app string) (bool, error)

// WithApplicationEnded lets the driver ask YARN about the application
// holding its checkpoint directory's lease: one that has ended can no longer
// renew it (a killed application never releases it), so its lease is taken
// over at once instead of after gostream.streaming.checkpoint.lease.timeout.
// The AM passes it; engine itself does not speak YARN.
func WithApplicationEnded(ended ApplicationEnded) Option {
	return func(s *Context) { s.appEnded = ended }
}

// appEndedTimeout bounds asking about a lease holder's application: an RM
// that does not answer in time means "cannot tell", and the lease's
// acquisition still has time for its own file system calls.
const appEndedTimeout = 10 * time.Second

// leaseKeeper holds the context's lease and renews it on its goroutine,
// which the context owns (takeLease starts it, releaseLease stops it).
type leaseKeeper struct {
	lease  *hdfsstore.Lease
	fenced chan error // a commit found the lease taken over: stop
	stop   context.CancelFunc
	done   chan struct{}
}

// takeLease takes the checkpoint directory's lease, once, before recovery
// reads the directory or the checkpointer writes it.
func (c *Context) takeLease(ctx context.Context) error {
	if c.lease.Load() != nil || c.settings.checkpointDir == "" {
		return nil
	}
	fsys, dir, err := c.unfencedFileSystem(ctx, c.settings.checkpointDir)
	if err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", c.settings.checkpointDir, err)
	}
	me, err := c.leaseHolder()
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, c.settings.storageTimeout())
	defer cancel()
	l, err := hdfsstore.AcquireLease(lctx, fsys, dir, me, hdfsstore.LeaseOptions{Expiry: c.settings.leaseTimeout, Dead: c.holderGone})
	if errors.Is(err, hdfsstore.ErrLeaseHeld) {
		return fmt.Errorf("checkpoint directory %w (after %s, %s); two drivers on one checkpoint directory would overwrite each other's checkpoints: use another directory for a second application",
			err, c.settings.leaseTimeout, conf.CheckpointLeaseTimeout)
	}
	if errors.Is(err, fs.ErrPermission) {
		return unwritableDir(c.settings.checkpointDir, err)
	}
	if err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", c.settings.checkpointDir, err)
	}
	if prev := l.Previous; prev.Run != "" && !prev.Released {
		c.log.Warn("took the checkpoint directory over from its previous driver, which can no longer commit there",
			"dir", c.settings.checkpointDir, "previous", prev.String(), "epoch", l.Epoch())
	} else {
		c.log.Info("checkpoint directory lease taken", "dir", c.settings.checkpointDir, "epoch", l.Epoch())
	}
	kctx, stop := context.WithCancel(context.Background())
	k := &leaseKeeper{lease: l, fenced: make(chan error, 1), stop: stop, done: make(chan struct{})}
	c.lease.Store(k)
	go k.run(kctx, c)
	return nil
}

// leaseHolder names this driver.
func (c *Context) leaseHolder() (hdfsstore.LeaseHolder, error) {
	host, err := os.Hostname()
	if err != nil {
		return hdfsstore.LeaseHolder{}, fmt.Errorf("checkpoint directory lease: host name: %w", err)
	}
	return hdfsstore.LeaseHolder{App: c.leaseApp, Attempt: c.leaseAttempt, Run: rand.Text()[:10],
		Host: host, PID: os.Getpid(), Since: time.Now()}, nil
}

// holderGone reports a lease holder known to be gone, whose lease need not
// expire: a YARN application that has ended (asked through
// WithApplicationEnded; an answer that does not come means alive), or a
// local run whose process is gone.
func (c *Context) holderGone(ctx context.Context, h hdfsstore.LeaseHolder) bool {
	if h.App == "" {
		return localRunGone(h)
	}
	if c.appEnded == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, appEndedTimeout)
	defer cancel()
	ended, err := c.appEnded(ctx, h.App)
	if err != nil {
		c.log.Warn("cannot ask YARN whether the checkpoint directory lease's holder has ended; its lease is kept until it expires",
			"dir", c.settings.checkpointDir, "holder", h.String(), "err", err)
		return false
	}
	if ended {
		c.log.Info("the checkpoint directory lease's holder has ended: taking its lease over",
			"dir", c.settings.checkpointDir, "holder", h.String())
	}
	return ended
}

// localRunGone reports a local run on this host whose process is gone (or
// is this one: a run before it had the same pid). YARN attempts' pids live
// in containers: they are judged by their application.
func localRunGone(h hdfsstore.LeaseHolder) bool {
	if host, err := os.Hostname(); err != nil || host != h.Host {
		return false
	}
	if h.PID == os.Getpid() {
		return true
	}
	p, err := os.FindProcess(h.PID)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}

// checkFence is the fence of every file system the context hands out: nil
// until a lease is taken, then one Stat per change.
func (c *Context) checkFence(ctx context.Context) error {
	k := c.lease.Load()
	if k == nil {
		return nil
	}
	err := k.lease.Check(ctx)
	if errors.Is(err, hdfsstore.ErrFenced) {
		select {
		case k.fenced <- err:
		default: // already told
		}
	}
	return err
}

// run renews the lease every renewal interval (real time: expiry is
// measured on the file system's clock) until stopped or fenced.
func (k *leaseKeeper) run(ctx context.Context, c *Context) {
	defer close(k.done)
	t := time.NewTicker(c.settings.leaseRenewal)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-k.fenced:
			c.stopFenced(err)
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, c.settings.leaseRenewal)
			err := k.lease.Renew(rctx)
			cancel()
			if errors.Is(err, hdfsstore.ErrFenced) {
				c.stopFenced(err)
				return
			}
			if err != nil && ctx.Err() == nil {
				c.log.Warn("renewing the checkpoint directory lease failed; trying again", "err", err,
					"expiresAfter", c.settings.leaseTimeout)
			}
		}
	}
}

// stopFenced stops the context: another driver owns the directory now.
func (c *Context) stopFenced(err error) {
	err = fmt.Errorf("checkpoint directory %s: %w", c.settings.checkpointDir, err)
	c.log.Error("another driver took over the checkpoint directory: stopping", "err", err)
	c.fail(err)
}

// releaseLease stops renewing and releases the lease, so that the next
// driver takes over at once.
func (c *Context) releaseLease() {
	k := c.lease.Load()
	if k == nil {
		return
	}
	k.stop()
	<-k.done
	ctx, cancel := context.WithTimeout(context.Background(), max(c.settings.networkTimeout, 30*time.Second))
	defer cancel()
	if err := k.lease.Release(ctx); err != nil && !errors.Is(err, hdfsstore.ErrFenced) {
		c.log.Warn("releasing the checkpoint directory lease failed; another driver can take over once it expires",
			"err", err, "after", c.settings.leaseTimeout)
	}
}
