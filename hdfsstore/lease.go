package hdfsstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LeaseDir is the directory, under the directory a lease guards, that holds
// its epoch files (see the package doc, "Leases").
const LeaseDir = "lease"

const epochPrefix = "epoch-"

// LeaseHolder names a writer: a YARN application attempt, or a local run.
type LeaseHolder struct {
	App      string    `json:"app,omitempty"`     // YARN application id; empty for a local run
	Attempt  int       `json:"attempt,omitempty"` // YARN attempt number (App set)
	Run      string    `json:"run"`               // random id of the process's run
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Since    time.Time `json:"since"`              // when it took the lease
	Released bool      `json:"released,omitempty"` // it stopped: anyone may take over at once
}

func (h LeaseHolder) String() string {
	if h.App != "" {
		return fmt.Sprintf("%s attempt %d on %s (pid %d)", h.App, h.Attempt, h.Host, h.PID)
	}
	return fmt.Sprintf("local run %s on %s (pid %d)", h.Run, h.Host, h.PID)
}

// succeeds reports whether h is a later YARN attempt of current's
// application: the RM started it, so current's attempt is over (or a zombie).
func (h LeaseHolder) succeeds(current LeaseHolder) bool {
	return h.App != "" && h.App == current.App && h.Attempt > current.Attempt
}

// ErrFenced matches a *FencedError.
var ErrFenced = errors.New("fenced: a newer writer holds the lease")

// FencedError: a newer holder took the lease over; this writer must not
// commit anything more into the directory.
type FencedError struct {
	Dir   string
	Epoch int64       // the fenced writer's
	Newer LeaseHolder // the holder of the next epoch (zero if unreadable)
}

func (e *FencedError) Error() string {
	newer := "another driver"
	if e.Newer.Run != "" {
		newer = e.Newer.String()
	}
	return fmt.Sprintf("%s took over %s (lease epoch %d, this driver's was %d): this driver is stopping without writing anything more there",
		newer, e.Dir, e.Epoch+1, e.Epoch)
}

func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// ErrLeaseHeld matches a *LeaseHeldError.
var ErrLeaseHeld = errors.New("the lease is held by another writer")

// LeaseHeldError: another live writer holds the lease.
type LeaseHeldError struct {
	Dir       string
	Epoch     int64
	Holder    LeaseHolder // zero when its lease file could not be read
	Age       time.Duration
	ExpiresIn time.Duration // how long until it may be taken over, if it is not renewed
}

func (e *LeaseHeldError) Error() string {
	holder := "a driver whose lease file is being written or is unreadable"
	if e.Holder.Run != "" {
		holder = e.Holder.String()
	}
	return fmt.Sprintf("%s is in use by %s (lease epoch %d, renewed %s ago): stop that driver first; if it is dead, its lease expires in %s",
		e.Dir, holder, e.Epoch, e.Age.Round(time.Second), e.ExpiresIn.Round(time.Second))
}

func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// LeaseOptions say when a lease may be taken from its holder.
type LeaseOptions struct {
	// Expiry: a lease not renewed this long may be taken by anyone.
	Expiry time.Duration
	// Dead, if set, reports a holder known to be gone (a local run whose
	// process no longer exists, a YARN application that has ended), whose
	// lease is taken at once. It is asked only about a holder whose lease
	// has not expired, and false means "alive, or cannot tell".
	Dead func(context.Context, LeaseHolder) bool
}

// Lease is the right to write into a directory, held as the newest epoch
// file of dir/lease. Taking it over creates the next epoch exclusively, so
// of two contenders one wins; a holder checks before each commit (Check)
// that no next epoch exists.
type Lease struct {
	Previous LeaseHolder // the holder of the epoch before (zero: none, or unreadable)

	fsys   FS
	dir    string
	epoch  int64
	holder LeaseHolder

	mu       sync.Mutex // serializes Renew and Release
	released bool
}

// AcquireLease takes the lease of dir for me: a free, released or expired
// lease, a dead holder's, or one held by an earlier attempt of me's YARN
// application. A live holder's lease is refused with a *LeaseHeldError.
func AcquireLease(ctx context.Context, fsys FS, dir string, me LeaseHolder, opt LeaseOptions) (*Lease, error) {
	ldir := path.Join(dir, LeaseDir)
	if err := fsys.MkdirAll(ctx, ldir, 0o755); err != nil {
		return nil, fmt.Errorf("lease of %s: %w", dir, err)
	}
	epoch, info, err := newestEpoch(ctx, fsys, ldir)
	if err != nil {
		return nil, fmt.Errorf("lease of %s: %w", dir, err)
	}
	var holder LeaseHolder
	if epoch > 0 {
		var rerr error
		holder, rerr = readHolder(ctx, fsys, epochPath(ldir, epoch))
		free := rerr == nil && (holder.Released || me.succeeds(holder))
		if !free {
			now, err := fsNow(ctx, fsys, ldir)
			if err != nil {
				return nil, fmt.Errorf("lease of %s: %w", dir, err)
			}
			age := max(now.Sub(info.ModTime()), 0)
			if age < opt.Expiry && (rerr != nil || opt.Dead == nil || !opt.Dead(ctx, holder)) {
				return nil, &LeaseHeldError{Dir: dir, Epoch: epoch, Holder: holder, Age: age, ExpiresIn: opt.Expiry - age}
			}
		}
	}
	me.Released = false
	if me.Since.IsZero() {
		me.Since = time.Now()
	}
	b, err := json.Marshal(me)
	if err != nil {
		return nil, err
	}
	w, err := fsys.Create(ctx, epochPath(ldir, epoch+1))
	if errors.Is(err, fs.ErrExist) { // another contender took it first: judge its claim
		return AcquireLease(ctx, fsys, dir, me, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("lease of %s: %w", dir, err)
	}
	defer func() { _ = w.Abort(ctx) }()
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("lease of %s: %w", dir, err)
	}
	if err := w.Commit(ctx); err != nil {
		return nil, fmt.Errorf("lease of %s: %w", dir, err)
	}
	return &Lease{Previous: holder, fsys: fsys, dir: dir, epoch: epoch + 1, holder: me}, nil
}

// Epoch is the lease's epoch number.
func (l *Lease) Epoch() int64 { return l.epoch }

// Check returns a *FencedError once a newer epoch exists: one Stat.
func (l *Lease) Check(ctx context.Context) error {
	next := epochPath(path.Join(l.dir, LeaseDir), l.epoch+1)
	_, err := l.fsys.Stat(ctx, next)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the lease of %s: %w", l.dir, err)
	}
	newer, _ := readHolder(ctx, l.fsys, next) // best effort: it names the holder
	return &FencedError{Dir: l.dir, Epoch: l.epoch, Newer: newer}
}

// Renew rewrites the epoch file, so its modification time says the holder
// lives; a fenced lease is not renewed.
func (l *Lease) Renew(ctx context.Context) error {
	return l.rewrite(ctx, false)
}

// Release marks the lease released, so the next writer takes over at once.
// A fenced or already released lease is left alone.
func (l *Lease) Release(ctx context.Context) error {
	return l.rewrite(ctx, true)
}

func (l *Lease) rewrite(ctx context.Context, release bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	if err := l.Check(ctx); err != nil {
		return err
	}
	h := l.holder
	h.Released = release
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(ctx, l.fsys, epochPath(path.Join(l.dir, LeaseDir), l.epoch), b); err != nil {
		return fmt.Errorf("renew the lease of %s: %w", l.dir, err)
	}
	l.released = release
	return nil
}

func epochPath(ldir string, n int64) string {
	return path.Join(ldir, epochPrefix+strconv.FormatInt(n, 10))
}

// newestEpoch finds the highest epoch file (0 when there is none).
func newestEpoch(ctx context.Context, fsys FS, ldir string) (int64, fs.FileInfo, error) {
	infos, err := fsys.ReadDir(ctx, ldir)
	if err != nil {
		return 0, nil, err
	}
	var newest int64
	var info fs.FileInfo
	for _, fi := range infos {
		s, ok := strings.CutPrefix(fi.Name(), epochPrefix)
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > newest {
			newest, info = n, fi
		}
	}
	return newest, info, nil
}

func readHolder(ctx context.Context, fsys FS, name string) (LeaseHolder, error) {
	var h LeaseHolder
	b, err := ReadFile(ctx, fsys, name)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return LeaseHolder{}, fmt.Errorf("lease file %s: %w", name, err)
	}
	return h, nil
}

// fsNow is the file system's clock (the NameNode's, on HDFS): the
// modification time of a file written now. Lease ages are measured on it,
// so clocks of different hosts need not agree.
func fsNow(ctx context.Context, fsys FS, ldir string) (time.Time, error) {
	name := path.Join(ldir, TempPrefix+"clock-"+rand.Text())
	w, err := fsys.Create(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	if err := w.Commit(ctx); err != nil {
		_ = w.Abort(ctx)
		return time.Time{}, err
	}
	info, err := fsys.Stat(ctx, name)
	_ = fsys.Remove(ctx, name) // a stray clock file is harmless
	if err != nil {
		return time.Time{}, err
	}
	return info.ModTime(), nil
}
