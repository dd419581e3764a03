package hdfsstore

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoopconf"
)

// Resolver resolves configured directories and files (a checkpoint
// directory, a WAL directory, a marker file) to the file system holding them
// and the path within it, and owns the HDFS connections that takes: one per
// set of NameNodes and user, shared by every path on them until Close.
// Whoever makes a Resolver closes it. Its zero value reads the environment:
// HADOOP_CONF_DIR (and YARN_CONF_DIR) for the Hadoop configuration,
// HADOOP_USER_NAME (else the OS user) for the HDFS user. Set the fields
// before the first ForPath. A Resolver is safe for concurrent use.
type Resolver struct {
	// Conf is the Hadoop configuration (fs.defaultFS, nameservices); nil
	// means the one HADOOP_CONF_DIR and YARN_CONF_DIR name, read at each
	// ForPath.
	Conf *hadoopconf.Conf
	// User is the HDFS user; "" means HADOOP_USER_NAME, else the OS user.
	// On a kerberized cluster the user is the Kerberos principal's.
	User string
	// KerberosPrincipal and KerberosKeytab log in to a kerberized cluster;
	// both empty means the ticket cache. The login is made once, at the
	// first HDFS path, and ended by Close.
	KerberosPrincipal, KerberosKeytab string
	// DialTimeout and OpTimeout are passed to HDFSOptions (0: defaults).
	DialTimeout, OpTimeout time.Duration
	// RetryTimeout, when positive, makes the HDFS file systems ForPath
	// returns wait out transient faults (RetryPolicy) for up to this long
	// per call: then a NameNode that does not answer when the path is
	// resolved is connected to by the first call that finds it back.
	// RetrySetting names the key that set it, for errors; Logger gets the
	// retries (nil: slog.Default()).
	RetryTimeout time.Duration
	RetrySetting string
	Logger       *slog.Logger

	conns conns[connKey, *HDFS]

	loginMu sync.Mutex
	login   *security.Login
}

// connKey names a shared HDFS connection.
type connKey struct {
	addrs, authority, user string
	useDatanodeHostname    bool
}

// Close closes the HDFS connections the resolver made; file systems it
// returned fail with fs.ErrClosed from then on, and so does ForPath on HDFS.
func (r *Resolver) Close() error {
	err := r.conns.Close()
	r.loginMu.Lock()
	if r.login != nil {
		r.login.Close()
	}
	r.loginMu.Unlock()
	return err
}

// loginFor returns the resolver's login, made at the first call.
func (r *Resolver) loginFor(conf *hadoopconf.Conf) (security.Login, error) {
	r.loginMu.Lock()
	defer r.loginMu.Unlock()
	if r.login != nil {
		return *r.login, nil
	}
	l, err := security.NewLogin(conf, r.User, security.Credentials{Principal: r.KerberosPrincipal, Keytab: r.KerberosKeytab})
	if err != nil {
		return security.Login{}, err
	}
	r.login = &l
	return l, nil
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// ForPath resolves p:
//
//   - hdfs://host:port/path: HDFS at that NameNode; hdfs://ns/path, where ns
//     is a nameservice of the Hadoop configuration: its NameNodes (HA);
//     hdfs:///path: the configuration's fs.defaultFS;
//   - file:///path: the local file system;
//   - /path or a relative path: on fs.defaultFS when the Hadoop configuration
//     sets an hdfs:// default (a relative path is then below /user/USER, as
//     in Hadoop), otherwise on the local file system (a relative path is made
//     absolute against the working directory).
//
// The HDFS connection is made (and checked) here, so a cluster that is down
// or a wrong address is reported now, naming the address tried, within the
// dial and call timeouts; with a RetryTimeout, only a fault that waiting
// cannot mend is (the calls wait for the others). Connections are shared: one per set of NameNode
// addresses and user, kept until Close. They authenticate as
// internal/hadoop/security decides: a configuration asking for Kerberos
// fails with its ErrKerberosUnsupported (and ErrConfig).
func (r *Resolver) ForPath(ctx context.Context, p string) (FS, string, error) {
	if strings.TrimSpace(p) == "" {
		return nil, "", fmt.Errorf("resolve path: empty path (%w)", fs.ErrInvalid)
	}
	switch {
	case strings.HasPrefix(p, "hdfs:"):
		authority, name, err := parseHDFSURI(p)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s: %w", p, err)
		}
		conf, confErr := r.hadoopConf()
		switch {
		case confErr != nil && authority != "":
			conf = hadoopconf.New(nil) // the URI names its NameNode: no configuration needed
		case confErr != nil:
			return nil, "", fmt.Errorf("resolve %s: %w", p, confErr)
		case authority == "":
			def := conf.DefaultFS()
			if !strings.HasPrefix(def, "hdfs://") {
				return nil, "", fmt.Errorf("resolve %s: no NameNode in the URI and no hdfs:// fs.defaultFS in %s (%w)", p, conf.Describe(), ErrConfig)
			}
			authority, _, err = parseHDFSURI(def)
			if err != nil {
				return nil, "", fmt.Errorf("resolve %s: fs.defaultFS in %s: %w", p, conf.Describe(), err)
			}
		}
		fsys, _, err := r.hdfs(ctx, conf, authority)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s: %w", p, err)
		}
		return fsys, name, nil

	case strings.HasPrefix(p, "file:"):
		u, err := url.Parse(p)
		if err != nil || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
			return nil, "", fmt.Errorf("resolve %s: want file:///absolute/path (%w)", p, fs.ErrInvalid)
		}
		return NewLocal(), filepath.Clean(u.Path), nil

	case schemeRE.MatchString(p):
		return nil, "", fmt.Errorf("resolve %s: unsupported file system scheme %q: use hdfs://, file:// or a plain path (%w)",
			p, schemeRE.FindString(p), fs.ErrInvalid)
	}

	// A plain path: fs.defaultFS decides.
	conf, err := r.hadoopConf()
	if err != nil {
		return nil, "", fmt.Errorf("resolve %s: %w", p, err)
	}
	def := conf.DefaultFS()
	switch {
	case strings.HasPrefix(def, "hdfs:"):
		authority, _, err := parseHDFSURI(def)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s: fs.defaultFS in %s: %w", p, conf.Describe(), err)
		}
		if authority == "" {
			return nil, "", fmt.Errorf("resolve %s: fs.defaultFS %q in %s names no NameNode (%w)", p, def, conf.Describe(), ErrConfig)
		}
		fsys, user, err := r.hdfs(ctx, conf, authority)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s (fs.defaultFS %s from %s): %w", p, def, conf.Describe(), err)
		}
		name := p
		if !strings.HasPrefix(name, "/") {
			name = path.Join("/user", user, name)
		}
		return fsys, cleanAbs(name), nil
	case def == "" || strings.HasPrefix(def, "file:"):
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s: %w", p, err)
		}
		return NewLocal(), abs, nil
	default:
		return nil, "", fmt.Errorf("resolve %s: fs.defaultFS %q in %s is neither hdfs:// nor file:// (%w)", p, def, conf.Describe(), ErrConfig)
	}
}

// hadoopConf is the configuration paths resolve with.
func (r *Resolver) hadoopConf() (*hadoopconf.Conf, error) {
	if r.Conf != nil {
		return r.Conf, nil
	}
	return hadoopconf.LoadFromEnv()
}

// hdfs returns the file system for authority and the user it acts as: the
// shared connection, made when needed, or with a RetryTimeout a retryFS
// that gets it at each try. A connection that fails for a transient reason
// is then only logged here.
func (r *Resolver) hdfs(ctx context.Context, conf *hadoopconf.Conf, authority string) (FS, string, error) {
	login, err := r.loginFor(conf)
	if err != nil {
		return nil, "", err
	}
	addrs, err := conf.NameNodes(authority)
	if err != nil {
		return nil, "", err
	}
	krb, err := login.HDFS(conf, addrs)
	if err != nil {
		return nil, "", err
	}
	opts := HDFSOptions{
		Addresses:           addrs,
		Authority:           authority,
		User:                login.User,
		DialTimeout:         r.DialTimeout,
		OpTimeout:           r.OpTimeout,
		UseDatanodeHostname: conf.UseDatanodeHostname(),
		Kerberos:            krb,
	}
	key := connKey{addrs: strings.Join(addrs, ","), authority: authority, user: login.User, useDatanodeHostname: opts.UseDatanodeHostname}
	connect := func(ctx context.Context) (FS, error) {
		h, err := r.conns.get(ctx, key, func(ctx context.Context) (*HDFS, error) { return NewHDFS(ctx, opts) })
		if err != nil {
			return nil, err
		}
		return h, nil
	}
	fsys, err := connect(ctx)
	if r.RetryTimeout <= 0 || (err != nil && !IsTransient(err)) {
		return fsys, login.User, err
	}
	policy := &RetryPolicy{Timeout: r.RetryTimeout, Setting: r.RetrySetting, Logger: r.Logger}
	if err != nil {
		policy.logger().Warn("HDFS cannot be reached now; calls on it will wait for it", "fs", "hdfs://"+authority, "timeout", r.RetryTimeout, "err", err)
	}
	return &retryFS{name: "hdfs://" + authority, policy: policy, connect: connect}, login.User, nil
}

// parseHDFSURI splits hdfs://authority/path. The path is cleaned and absolute.
func parseHDFSURI(p string) (authority, name string, err error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", "", fmt.Errorf("bad file system URI %q: %v (%w)", p, err, fs.ErrInvalid)
	}
	if u.Scheme != "hdfs" {
		return "", "", fmt.Errorf("%q is not an hdfs:// URI (%w)", p, fs.ErrInvalid)
	}
	if u.Opaque != "" {
		return "", "", fmt.Errorf("bad hdfs URI %q: want hdfs://namenode:port/path (%w)", p, fs.ErrInvalid)
	}
	name = cleanAbs(u.Path)
	return u.Host, name, nil
}

// cleanAbs makes a slash path absolute and clean ("" is "/").
func cleanAbs(p string) string { return path.Clean("/" + p) }
