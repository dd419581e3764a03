package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gostream/gostream/am"
	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoopconf"
)

// connectTimeout bounds reaching the ResourceManager and the NameNode: a
// cluster that is down is reported within it.
const connectTimeout = 30 * time.Second

// yarnEnv is what gostream-submit needs to talk to a YARN cluster: the Hadoop
// configuration, the user, and the RM and HDFS clients made from them.
type yarnEnv struct {
	hconf    *hadoopconf.Conf
	confDirs []string
	user     string
	rm       *client.Client
	resolver *hdfsstore.Resolver
}

// connectYARN loads the Hadoop configuration named by HADOOP_CONF_DIR or
// YARN_CONF_DIR in environ and connects to the ResourceManager.
func connectYARN(ctx context.Context, environ []string) (*yarnEnv, error) {
	var dirs []string
	for _, name := range []string{"HADOOP_CONF_DIR", "YARN_CONF_DIR"} {
		if d := strings.TrimSpace(getenv(environ, name)); d != "" {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return nil, usageError("talking to YARN needs the cluster's configuration: set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the directory holding its core-site.xml, hdfs-site.xml and yarn-site.xml")
	}
	hc, err := hadoopconf.Load(dirs...)
	if err != nil {
		return nil, usageError("%v", err)
	}
	y := &yarnEnv{hconf: hc, confDirs: dirs, user: getenv(environ, "HADOOP_USER_NAME")}
	y.resolver = &hdfsstore.Resolver{ConfDir: dirs[0], User: y.user}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if y.rm, err = client.New(cctx, hc, client.Options{User: y.user, DialTimeout: 10 * time.Second, MaxRetries: 2}); err != nil {
		return nil, err
	}
	y.user = y.rm.User()
	return y, nil
}

func (y *yarnEnv) close() { y.rm.Close() }

// stagingBase is gostream.yarn.stagingDir, else the user's HDFS home.
func (y *yarnEnv) stagingBase(c *conf.Conf) string {
	if d := c.String(conf.YarnStagingDir); d != "" {
		return d
	}
	return "/user/" + y.user
}

// staging resolves application id's staging directory.
func (y *yarnEnv) staging(ctx context.Context, c *conf.Conf, id client.ApplicationID) (hdfsstore.FS, string, error) {
	fsys, base, err := y.resolver.ForPath(ctx, y.stagingBase(c))
	if err != nil {
		return nil, "", fmt.Errorf("staging directory: %w", err)
	}
	if _, ok := fsys.(*hdfsstore.HDFS); !ok {
		return nil, "", usageError("staging directory %s is not on HDFS (fs.defaultFS in %s): NodeManagers fetch the application from there; set fs.defaultFS or gostream.yarn.stagingDir to an hdfs:// path", base, y.hconf.Describe())
	}
	return fsys, client.StagingDir(base, id), nil
}

// submitYARN submits the application in cluster mode and, unless
// gostream.yarn.submit.waitAppCompletion=false, follows it until it ends.
// It returns gostream-submit's exit status.
func submitYARN(ctx context.Context, y *yarnEnv, c *conf.Conf, app *application, appArgs []string, environ []string, logf func(string, ...any)) (int, error) {
	maxAttempts := c.Int(conf.YarnMaxAppAttempts)
	if _, warning, err := client.CheckMaxAttempts(y.hconf, maxAttempts); err != nil {
		return exitUsage, usageError("%v", err)
	} else if warning != "" {
		logf("warning: %s", warning)
	}

	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	id, maxRes, err := y.rm.NewApplication(cctx)
	cancel()
	if err != nil {
		return exitStartFailed, err
	}
	amRes := client.Resource{
		MemoryMB: am.ContainerMemoryMB(c.Size(conf.DriverMemory), c.Size(conf.DriverMemoryOverhead)),
		VCores:   int32(c.Int(conf.DriverCores)),
	}
	logf("submitting %s to YARN as %s (application master: %v; the cluster's largest container: %v)", c.String(conf.AppName), id, amRes, maxRes)

	fsys, dir, err := y.staging(ctx, c, id)
	if err != nil {
		return exitStartFailed, err
	}
	stg, err := client.NewStaging(ctx, fsys, dir)
	if err != nil {
		return exitStartFailed, err
	}
	submitted := false
	defer func() {
		if !submitted {
			_ = stg.Remove(context.WithoutCancel(ctx))
		}
	}()
	spec, err := y.amSpec(ctx, c, stg, app, appArgs, environ)
	if err != nil {
		return exitStartFailed, err
	}
	lc, err := spec.LaunchContext()
	if err != nil {
		return exitStartFailed, err
	}
	sub := &client.SubmissionContext{
		ID: id, Name: c.String(conf.AppName), Queue: c.String(conf.YarnQueue), Priority: int32(c.Int(conf.YarnPriority)),
		Tags: c.Strings(conf.YarnTags), Type: c.String(conf.YarnApplicationType), AMResource: amRes,
		MaxAppAttempts:                  int32(maxAttempts),
		AttemptFailuresValidityInterval: c.Duration(conf.YarnAMAttemptFailuresValidityInterval),
		AM:                              lc,
	}
	sctx, cancel := context.WithTimeout(ctx, connectTimeout)
	err = y.rm.SubmitApplication(sctx, sub)
	cancel()
	if err != nil {
		return exitStartFailed, err
	}
	submitted = true
	logf("submitted %s; staging directory %s", id, stg.URL())
	if !c.Bool(conf.YarnSubmitWaitAppCompletion) {
		logf("not waiting for the application to end (%s=false): gostream-submit --status %s shows it", conf.YarnSubmitWaitAppCompletion, id)
		return exitOK, nil
	}
	return y.follow(ctx, c, id, stg, logf)
}

// amSpec uploads the binary, --files and the Hadoop site files and
// describes the AM container.
func (y *yarnEnv) amSpec(ctx context.Context, c *conf.Conf, stg *client.Staging, app *application, appArgs, environ []string) (am.Spec, error) {
	spec := am.Spec{App: filepath.Base(app.path), Args: appArgs, Resources: map[string]client.LocalResource{}, StagingDir: stg.URL()}
	add := func(src, name string) error {
		if _, dup := spec.Resources[name]; dup {
			return usageError("two files would be named %s in the containers' working directory: rename one", name)
		}
		r, err := stg.Upload(ctx, src, name)
		if err != nil {
			return err
		}
		spec.Resources[name] = r
		return nil
	}
	if err := add(app.path, spec.App); err != nil {
		return spec, err
	}
	for _, f := range c.Strings(conf.Files) {
		if p, local := localPath(f); local {
			if err := add(p, filepath.Base(p)); err != nil {
				return spec, err
			}
			continue
		}
		r, err := y.remoteResource(ctx, f)
		if err != nil {
			return spec, err
		}
		spec.Resources[path.Base(f)] = r
	}
	// Containers read the cluster's configuration from their working
	// directory (HADOOP_CONF_DIR=$PWD).
	for _, src := range y.hconf.Sources() {
		if err := add(src, filepath.Base(src)); err != nil {
			return spec, err
		}
	}

	spec.Env = map[string]string{"HADOOP_USER_NAME": y.user}
	for _, kv := range c.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		spec.Env[k] = v
	}
	// The driver memory is the AM process's soft memory limit, as it is a
	// JVM's heap in Spark.
	if !hasEnv(environ, "GOMEMLIMIT") {
		spec.Env["GOMEMLIMIT"] = strconv.FormatInt(c.Size(conf.DriverMemory), 10)
	}
	for k, v := range c.StringMap(conf.YarnAppMasterEnv) {
		spec.Env[k] = v
	}
	return spec, nil
}

// remoteResource is a --files entry already on HDFS, used in place.
func (y *yarnEnv) remoteResource(ctx context.Context, url string) (client.LocalResource, error) {
	fsys, p, err := y.resolver.ForPath(ctx, url)
	if err != nil {
		return client.LocalResource{}, fmt.Errorf("%s: %w", conf.Files, err)
	}
	st, err := fsys.Stat(ctx, p)
	if err != nil {
		return client.LocalResource{}, fmt.Errorf("%s: %w", conf.Files, err)
	}
	return client.LocalResource{URL: fsys.String() + p, Size: st.Size(), Timestamp: st.ModTime().UnixMilli()}, nil
}

// follow reports the application's state changes until it ends, and exits
// 0 only when it ended SUCCEEDED. When ctx ends first (a signal), the
// application keeps running.
func (y *yarnEnv) follow(ctx context.Context, c *conf.Conf, id client.ApplicationID, stg *client.Staging, logf func(string, ...any)) (int, error) {
	interval := c.Duration(conf.YarnReportInterval)
	var last client.ApplicationReport
	failures := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, connectTimeout)
		r, err := y.rm.ApplicationReport(rctx, id)
		cancel()
		switch {
		case ctx.Err() != nil:
			logf("stopped following %s; it keeps running: gostream-submit --kill %s stops it", id, id)
			return exitStartFailed, nil
		case err != nil:
			// The RM may be restarting or failing over: keep asking a while.
			if failures++; failures >= 10 {
				return exitStartFailed, fmt.Errorf("follow %s: %w", id, err)
			}
			logf("report of %s: %v (retrying)", id, err)
		default:
			failures = 0
			reportChange(&last, r, logf)
			if r.State.Terminal() {
				// The AM removes the staging directory when it unregisters;
				// an application that was killed or failed without
				// unregistering leaves it to us.
				if !c.Bool(conf.YarnPreserveStagingFiles) {
					if err := stg.Remove(context.WithoutCancel(ctx)); err != nil {
						logf("warning: %v", err)
					}
				}
				if r.FinalStatus == client.FinalSucceeded {
					return exitOK, nil
				}
				return exitStartFailed, fmt.Errorf("application %s ended %s with final status %s", id, r.State, r.FinalStatus)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// reportChange logs what changed between the last report and r, and makes r
// the last.
func reportChange(last *client.ApplicationReport, r *client.ApplicationReport, logf func(string, ...any)) {
	defer func() { *last = *r }()
	newAttempt := last.CurrentAttempt.Attempt > 0 && r.CurrentAttempt.Attempt > last.CurrentAttempt.Attempt
	if newAttempt {
		logf("%s: attempt %d started (attempt %d ended): %s", r.ID, r.CurrentAttempt.Attempt, last.CurrentAttempt.Attempt, oneLine(r.Diagnostics))
	}
	if r.State == last.State && r.TrackingURL == last.TrackingURL && !newAttempt {
		return
	}
	switch {
	case r.State == client.StateRunning:
		logf("%s: RUNNING, attempt %d, tracking URL %s", r.ID, r.CurrentAttempt.Attempt, r.TrackingURL)
	case r.State.Terminal():
		attempt := ""
		if r.CurrentAttempt.Attempt > 0 {
			attempt = fmt.Sprintf(", attempt %d", r.CurrentAttempt.Attempt)
		}
		logf("%s: %s, final status %s%s, diagnostics: %s", r.ID, r.State, r.FinalStatus, attempt, oneLine(r.Diagnostics))
	case r.State != last.State:
		logf("%s: %s", r.ID, r.State)
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(none)"
	}
	return s
}

// yarnCommand runs --status or --kill.
func yarnCommand(ctx context.Context, o *options, c *conf.Conf, environ []string, stdout io.Writer, logf func(string, ...any)) (int, error) {
	arg := o.status
	if o.kill != "" {
		arg = o.kill
	}
	id, err := client.ParseApplicationID(arg)
	if err != nil {
		return exitUsage, usageError("%v: give an application id like application_1700000000000_0001", err)
	}
	y, err := connectYARN(ctx, environ)
	if err != nil {
		if errors.Is(err, errUsage) {
			return exitUsage, err
		}
		return exitStartFailed, err
	}
	defer y.close()
	rctx, cancel := context.WithTimeout(ctx, connectTimeout)
	r, err := y.rm.ApplicationReport(rctx, id)
	cancel()
	if err != nil {
		return exitStartFailed, err
	}
	if o.status != "" {
		printReport(stdout, r)
		return exitOK, nil
	}
	if r.State.Terminal() {
		logf("%s already ended: %s, final status %s", id, r.State, r.FinalStatus)
		return exitOK, nil
	}
	kctx, cancel := context.WithTimeout(ctx, connectTimeout)
	_, err = y.rm.KillApplication(kctx, id, "killed with gostream-submit --kill by "+y.user)
	cancel()
	if err != nil {
		return exitStartFailed, err
	}
	deadline := time.Now().Add(c.Duration(conf.NetworkTimeout))
	for !r.State.Terminal() {
		if time.Now().After(deadline) {
			return exitStartFailed, fmt.Errorf("%s is still %s after the kill; check gostream-submit --status %s", id, r.State, id)
		}
		select {
		case <-ctx.Done():
			return exitStartFailed, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		rctx, cancel := context.WithTimeout(ctx, connectTimeout)
		r, err = y.rm.ApplicationReport(rctx, id)
		cancel()
		if err != nil {
			return exitStartFailed, err
		}
	}
	logf("%s: %s, final status %s", id, r.State, r.FinalStatus)
	if fsys, dir, err := y.staging(ctx, c, id); err != nil {
		logf("warning: %v", err)
	} else if err := fsys.RemoveAll(ctx, dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		logf("warning: remove the staging directory %s: %v", dir, err)
	}
	return exitOK, nil
}

// printReport prints an application report, a field a line.
func printReport(w io.Writer, r *client.ApplicationReport) {
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
	fmt.Fprintf(w, "diagnostics:  %s\n", oneLine(r.Diagnostics))
}

// getenv is the value of name in environ.
func getenv(environ []string, name string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if n, v, ok := strings.Cut(environ[i], "="); ok && n == name {
			return v
		}
	}
	return ""
}
