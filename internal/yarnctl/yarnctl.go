// Package yarnctl is what gostream's command-line tools (gostream-submit,
// gostream) do with a YARN cluster: connect to it from the environment
// (HADOOP_CONF_DIR or YARN_CONF_DIR, HADOOP_USER_NAME), follow an
// application's reports, kill it, find its staging directory and read its
// driver's status page through the tracking URL.
package yarnctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/ui"
)

// ConnectTimeout bounds reaching the ResourceManager, the NameNode or a
// status page: a cluster that is down is reported within it.
const ConnectTimeout = 30 * time.Second

// ErrConfig marks mistakes in the user's setup (no or bad Hadoop
// configuration, a staging directory not on HDFS): nothing was done.
var ErrConfig = errors.New("configuration error")

// Cluster is a connection to a YARN cluster and its HDFS; Close releases
// both.
type Cluster struct {
	Hadoop   *hadoopconf.Conf
	User     string
	RM       *client.Client
	Resolver *hdfsstore.Resolver // HDFS as User, on Hadoop's fs.defaultFS
}

// Connect loads the Hadoop configuration named by HADOOP_CONF_DIR or
// YARN_CONF_DIR in environ and connects to the ResourceManager, on a
// kerberized cluster logging in with creds (empty: the ticket cache). A
// configuration without site files is refused (ErrConfig) before any
// connection, saying which variable names which directory.
func Connect(ctx context.Context, environ []string, creds security.Credentials) (*Cluster, error) {
	hc, err := hadoopconf.LoadEnv(func(name string) string { return Getenv(environ, name) })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// Without site files the RM would be the default 0.0.0.0:8032: say what
	// is missing rather than fail to connect there.
	if len(hc.Sources()) == 0 {
		return nil, fmt.Errorf("%w: talking to YARN needs the cluster's configuration: %s", ErrConfig, hc.Describe())
	}
	c := &Cluster{Hadoop: hc, User: Getenv(environ, security.EnvUser)}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if c.RM, err = client.New(cctx, hc, client.Options{User: c.User, DialTimeout: 10 * time.Second, MaxRetries: 2, Credentials: creds}); err != nil {
		return nil, err
	}
	c.User = c.RM.User()
	c.Resolver = &hdfsstore.Resolver{Conf: hc, User: c.User, KerberosPrincipal: creds.Principal, KerberosKeytab: creds.Keytab}
	return c, nil
}

// Close releases the RM connection and the HDFS connections of Resolver.
func (c *Cluster) Close() error { return errors.Join(c.RM.Close(), c.Resolver.Close()) }

// Staging resolves application id's staging directory below base
// (gostream.yarn.stagingDir; "" means the user's HDFS home directory).
func (c *Cluster) Staging(ctx context.Context, base string, id yarn.ApplicationID) (hdfsstore.FS, string, error) {
	if base == "" {
		base = "/user/" + c.User
	}
	fsys, p, err := c.Resolver.ForPath(ctx, base)
	if err != nil {
		return nil, "", fmt.Errorf("staging directory: %w", err)
	}
	if _, ok := fsys.(*hdfsstore.HDFS); !ok {
		return nil, "", fmt.Errorf("%w: staging directory %s is not on HDFS (fs.defaultFS in %s): NodeManagers fetch the application from there; set fs.defaultFS or gostream.yarn.stagingDir to an hdfs:// path", ErrConfig, base, c.Hadoop.Describe())
	}
	return fsys, client.StagingDir(p, id), nil
}

// Report is the RM's report of application id.
func (c *Cluster) Report(ctx context.Context, id yarn.ApplicationID) (*client.ApplicationReport, error) {
	ctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	return c.RM.ApplicationReport(ctx, id)
}

// maxReportFailures consecutive failed reports end Follow: the RM may
// restart or fail over, but not forever.
const maxReportFailures = 10

// Follow polls application id's report every interval, calls changed with
// each report that differs from the one before (state, attempt or tracking
// URL), and returns the report once the application has ended. When ctx
// ends first, it returns the last report and ctx's error.
func (c *Cluster) Follow(ctx context.Context, id yarn.ApplicationID, interval time.Duration, changed func(prev, cur *client.ApplicationReport)) (*client.ApplicationReport, error) {
	last := &client.ApplicationReport{}
	failures := 0
	for {
		r, err := c.Report(ctx, id)
		switch {
		case ctx.Err() != nil:
			return last, ctx.Err()
		case err != nil:
			if failures++; failures >= maxReportFailures || errors.Is(err, client.ErrApplicationNotFound) {
				return last, fmt.Errorf("follow %s: %w", id, err)
			}
		default:
			failures = 0
			if r.State != last.State || r.CurrentAttempt != last.CurrentAttempt || r.TrackingURL != last.TrackingURL {
				changed(last, r)
			}
			last = r
			if r.State.Terminal() {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// Kill kills application id unless it has ended, waits (up to wait) until
// the RM reports it ended, and removes its staging directory below
// stagingBase. It returns the last report.
func (c *Cluster) Kill(ctx context.Context, id yarn.ApplicationID, reason, stagingBase string, wait time.Duration) (*client.ApplicationReport, error) {
	r, err := c.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	if !r.State.Terminal() {
		kctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
		_, err = c.RM.KillApplication(kctx, id, reason)
		cancel()
		if err != nil {
			return r, err
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		r, err = c.Follow(wctx, id, 500*time.Millisecond, func(_, _ *client.ApplicationReport) {})
		cancel()
		if err != nil {
			return r, fmt.Errorf("%s is still %s %s after the kill: %w", id, r.State, wait, err)
		}
	}
	fsys, dir, err := c.Staging(ctx, stagingBase, id)
	if err != nil {
		return r, err
	}
	if err := fsys.RemoveAll(ctx, dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, fmt.Errorf("remove the staging directory %s: %w", dir, err)
	}
	return r, nil
}

// DriverStatus reads the driver's status page (ui.Status) through the
// application's tracking URL, that is through the RM's web proxy.
func DriverStatus(ctx context.Context, trackingURL string) (*ui.Status, error) {
	if !strings.HasPrefix(trackingURL, "http") {
		return nil, fmt.Errorf("no tracking URL yet (%q): the application master has not registered", trackingURL)
	}
	ctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	u := strings.TrimSuffix(trackingURL, "/") + "/json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("status page %s: %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	var st ui.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("status page %s: %w", u, err)
	}
	return &st, nil
}

// PrintReport writes an application report, a field a line.
func PrintReport(w io.Writer, r *client.ApplicationReport) {
	fmt.Fprintf(w, "application:  %s\n", r.ID)
	fmt.Fprintf(w, "name:         %s\n", r.Name)
	fmt.Fprintf(w, "state:        %s\n", r.State)
	fmt.Fprintf(w, "final status: %s\n", r.FinalStatus)
	fmt.Fprintf(w, "attempt:      %d\n", r.CurrentAttempt.Attempt)
	fmt.Fprintf(w, "queue:        %s\n", r.Queue)
	fmt.Fprintf(w, "user:         %s\n", r.User)
	fmt.Fprintf(w, "tracking URL: %s\n", r.TrackingURL)
	fmt.Fprintf(w, "started:      %s\n", r.StartTime.Format(time.RFC3339))
	if !r.FinishTime.IsZero() {
		fmt.Fprintf(w, "finished:     %s\n", r.FinishTime.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "diagnostics:  %s\n", OneLine(r.Diagnostics))
}

// OneLine folds s onto one line ("(none)" when empty).
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(none)"
	}
	return s
}

// Getenv is the value of name in environ (the last one wins, as in a
// process's environment built by appending).
func Getenv(environ []string, name string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if n, v, ok := strings.Cut(environ[i], "="); ok && n == name {
			return v
		}
	}
	return ""
}
