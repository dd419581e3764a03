package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/gostream/gostream/internal/hadoop/security"
)

// HDFSOptions configures an HDFS file system. Only Addresses is required.
type HDFSOptions struct {
	// Addresses are the NameNodes' RPC addresses (host:port). With several
	// (HA), the client fails over between them.
	Addresses []string
	// Authority names the file system in String and messages
	// ("hdfs://"+Authority); default: the first address.
	Authority string
	// User is the HDFS user the calls act as (simple authentication);
	// default: HADOOP_USER_NAME, else the OS user.
	User string
	// DialTimeout bounds each TCP connect to a NameNode or DataNode.
	// Default 5s.
	DialTimeout time.Duration
	// OpTimeout bounds each call: a NameNode RPC, a DataNode read or write
	// that makes no progress, a Commit attempt. Default 30s.
	OpTimeout time.Duration
	// CommitTimeout bounds how long Commit keeps retrying while the
	// NameNode answers that the last block is still replicating. Default 60s.
	CommitTimeout time.Duration
	// UseDatanodeHostname connects to DataNodes by hostname rather than IP
	// (dfs.client.use.datanode.hostname).
	UseDatanodeHostname bool
	// Kerberos authenticates to a kerberized cluster (nil: simple
	// authentication as User).
	Kerberos *security.HDFSAuth
}

func (o *HDFSOptions) setDefaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 30 * time.Second
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 60 * time.Second
	}
	if o.Authority == "" && len(o.Addresses) > 0 {
		o.Authority = o.Addresses[0]
	}
}

// HDFS is the FS on a Hadoop cluster, built on github.com/colinmarc/hdfs/v2
// with simple authentication.
//
// Durability: a file is durable once Commit returns nil (the NameNode has
// completed it after the DataNodes acknowledged every packet); Commit retries
// with backoff while the NameNode says the last block is still replicating.
// A file a crashed writer left open may read as empty or short: never append
// to it (Create refuses the name) and ignore uncommitted files.
//
// Timeouts: every TCP connect is bounded by DialTimeout; every NameNode RPC
// and every DataNode read or write that makes no progress by OpTimeout, after
// which the connection is dropped and re-established on the next call. The
// client library cannot be interrupted, so a call also returns as soon as its
// ctx is done, while the abandoned request finishes (or times out) in the
// background: a call that returned ctx.Err() may still have taken effect
// (a Create's file is removed again; a Rename or Remove may have happened).
// Reads and writes on an open file have no ctx; OpTimeout bounds them.
type HDFS struct {
	opts   HDFSOptions
	client *hdfs.Client

	closeOnce sync.Once
	closed    atomic.Bool
}

// NewHDFS connects to the NameNode(s) and checks that one answers, within
// DialTimeout + OpTimeout or ctx, whichever ends first. The error names the
// addresses tried and matches ErrUnavailable when none answered.
func NewHDFS(ctx context.Context, opts HDFSOptions) (*HDFS, error) {
	opts.setDefaults()
	if len(opts.Addresses) == 0 {
		return nil, fmt.Errorf("hdfs: no NameNode address (%w)", ErrConfig)
	}
	if opts.User == "" {
		u, err := security.CurrentUser()
		if err != nil {
			return nil, fmt.Errorf("hdfs: %w", err)
		}
		opts.User = u
	}
	h := &HDFS{opts: opts}
	where := fmt.Sprintf("NameNode %s (hdfs://%s, user %s)", strings.Join(opts.Addresses, ","), opts.Authority, opts.User)

	connectCtx, cancel := context.WithTimeout(ctx, opts.DialTimeout*time.Duration(len(opts.Addresses))+opts.OpTimeout)
	defer cancel()
	client, err := call(connectCtx, h, func() (*hdfs.Client, error) {
		co := hdfs.ClientOptions{
			Addresses:           opts.Addresses,
			User:                opts.User,
			UseDatanodeHostname: opts.UseDatanodeHostname,
			NamenodeDialFunc:    dialer(opts.DialTimeout, opts.OpTimeout),
			DatanodeDialFunc:    dialer(opts.DialTimeout, 0), // FileReader/FileWriter deadlines bound these
		}
		if k := opts.Kerberos; k != nil {
			co.KerberosClient, co.KerberosServicePrincipleName = k.Client, k.NameNodePrincipal
			co.DataTransferProtection = k.DataTransferProtection
		}
		return hdfs.NewClient(co)
	}, func(c *hdfs.Client, err error) {
		if c != nil {
			_ = c.Close()
		}
	})
	if err != nil {
		return nil, connectError(ctx, where, err)
	}
	h.client = client
	// The handshake gets no answer from the server: make one call to know
	// that a NameNode is really there.
	if _, err := call(connectCtx, h, func() (fs.FileInfo, error) { return client.Stat("/") }, nil); err != nil {
		h.Close()
		return nil, connectError(ctx, where, err)
	}
	return h, nil
}

func connectError(ctx context.Context, where string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("hdfs: connect to %s: %w", where, ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) { // the connect budget ran out
		return fmt.Errorf("hdfs: connect to %s: no answer within the timeout (%w)", where, ErrUnavailable)
	}
	c := classify(unwrapPathError(err))
	if !errors.Is(c, ErrSafeMode) && !errors.Is(c, fs.ErrPermission) && !errors.Is(c, ErrUnavailable) {
		c = &hdfsError{class: ErrUnavailable, msg: c.Error(), cause: c}
	}
	return fmt.Errorf("hdfs: connect to %s: %w", where, c)
}

// Close closes the connection to the NameNode. Open files are not committed.
func (h *HDFS) Close() error {
	var err error
	h.closeOnce.Do(func() {
		h.closed.Store(true)
		err = h.client.Close()
	})
	return err
}

// String names the file system: "hdfs://authority".
func (h *HDFS) String() string { return "hdfs://" + h.opts.Authority }

// User is the HDFS user the calls act as.
func (h *HDFS) User() string { return h.opts.User }

func (h *HDFS) uri(name string) string { return h.String() + name }

// checkName requires an absolute, clean path.
func (h *HDFS) checkName(op, name string) error {
	if !strings.HasPrefix(name, "/") || path.Clean(name) != name {
		return &fs.PathError{Op: op, Path: h.uri(name), Err: fmt.Errorf("want an absolute, clean path (%w)", fs.ErrInvalid)}
	}
	return nil
}

// Create implements FS. The file is created with mode 0644 and the cluster's
// default replication and block size.
func (h *HDFS) Create(ctx context.Context, name string) (Writer, error) {
	if err := h.checkName("create", name); err != nil {
		return nil, err
	}
	fw, err := call(ctx, h, func() (*hdfs.FileWriter, error) { return h.client.Create(name) },
		func(fw *hdfs.FileWriter, err error) {
			if err == nil { // created after the caller gave up: undo
				_ = fw.SetDeadline(time.Now().Add(h.opts.OpTimeout))
				_ = fw.Close()
				_ = h.client.Remove(name)
			}
		})
	if err != nil {
		return nil, h.pathError("create", name, err)
	}
	return &hdfsWriter{h: h, f: fw, name: name}, nil
}

// Open implements FS.
func (h *HDFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := h.checkName("open", name); err != nil {
		return nil, err
	}
	fr, err := call(ctx, h, func() (*hdfs.FileReader, error) { return h.client.Open(name) },
		func(fr *hdfs.FileReader, err error) {
			if err == nil {
				_ = fr.Close()
			}
		})
	if err != nil {
		return nil, h.pathError("open", name, err)
	}
	if fr.Stat().IsDir() {
		_ = fr.Close()
		return nil, &fs.PathError{Op: "open", Path: h.uri(name), Err: syscall.EISDIR}
	}
	return &hdfsReader{h: h, f: fr, name: name}, nil
}

// ReadDir implements FS.
func (h *HDFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	if err := h.checkName("readdir", name); err != nil {
		return nil, err
	}
	infos, err := call(ctx, h, func() ([]fs.FileInfo, error) {
		fr, err := h.client.Open(name)
		if err != nil {
			return nil, err
		}
		defer fr.Close()
		if !fr.Stat().IsDir() {
			return nil, syscall.ENOTDIR
		}
		return fr.Readdir(0)
	}, nil)
	if err != nil {
		return nil, h.pathError("readdir", name, err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// Stat implements FS.
func (h *HDFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	if err := h.checkName("stat", name); err != nil {
		return nil, err
	}
	info, err := call(ctx, h, func() (fs.FileInfo, error) { return h.client.Stat(name) }, nil)
	if err != nil {
		return nil, h.pathError("stat", name, err)
	}
	return info, nil
}

// Rename implements FS: newname is replaced if it exists (a file, or an
// empty directory).
func (h *HDFS) Rename(ctx context.Context, oldname, newname string) error {
	if err := h.checkName("rename", oldname); err != nil {
		return err
	}
	if err := h.checkName("rename", newname); err != nil {
		return err
	}
	_, err := call(ctx, h, func() (struct{}, error) { return struct{}{}, h.client.Rename(oldname, newname) }, nil)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: h.uri(oldname) + " " + newname, Err: classify(unwrapPathError(err))}
	}
	return nil
}

// Remove implements FS.
func (h *HDFS) Remove(ctx context.Context, name string) error {
	if err := h.checkName("remove", name); err != nil {
		return err
	}
	_, err := call(ctx, h, func() (struct{}, error) { return struct{}{}, h.client.Remove(name) }, nil)
	return h.pathError("remove", name, err)
}

// RemoveAll implements FS.
func (h *HDFS) RemoveAll(ctx context.Context, name string) error {
	if err := h.checkName("removeall", name); err != nil {
		return err
	}
	_, err := call(ctx, h, func() (struct{}, error) { return struct{}{}, h.client.RemoveAll(name) }, nil)
	return h.pathError("removeall", name, err)
}

// MkdirAll implements FS.
func (h *HDFS) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	if err := h.checkName("mkdir", name); err != nil {
		return err
	}
	_, err := call(ctx, h, func() (struct{}, error) { return struct{}{}, h.client.MkdirAll(name, perm) }, nil)
	return h.pathError("mkdir", name, err)
}

// Chmod changes the permission bits of name (tests use it to make paths
// unreadable for other users).
func (h *HDFS) Chmod(ctx context.Context, name string, perm fs.FileMode) error {
	if err := h.checkName("chmod", name); err != nil {
		return err
	}
	_, err := call(ctx, h, func() (struct{}, error) { return struct{}{}, h.client.Chmod(name, perm) }, nil)
	return h.pathError("chmod", name, err)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var _ FS = (*HDFS)(nil)
