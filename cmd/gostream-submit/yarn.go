package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gostream/gostream/am"
	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
)

// yarnCluster is the cluster gostream-submit talks to.
type yarnCluster struct{ *yarnctl.Cluster }

// staging resolves the application's staging directory below
// gostream.yarn.stagingDir.
func (y yarnCluster) staging(ctx context.Context, c *conf.Conf, id yarn.ApplicationID) (hdfsstore.FS, string, error) {
	return y.Staging(ctx, c.String(conf.YarnStagingDir), id)
}

// submitYARN submits the application in cluster mode and, unless
// gostream.yarn.submit.waitAppCompletion=false, follows it until it ends.
// It returns gostream-submit's exit status.
func submitYARN(ctx context.Context, y yarnCluster, c *conf.Conf, app *application, appArgs []string, environ []string, stdout io.Writer, prog *progress) (int, error) {
	logf := prog.logf
	amRes := yarn.Resource{
		MemoryMB: am.ContainerMemoryMB(c.Size(conf.DriverMemory), c.Size(conf.DriverMemoryOverhead)),
		VCores:   int32(c.Int(conf.DriverCores)),
	}
	id, stg, status, err := y.submit(ctx, c, app, appArgs, environ, amRes, nil, stdout, logf)
	if err != nil {
		return status, err
	}
	if !c.Bool(conf.YarnSubmitWaitAppCompletion) {
		logf("not waiting for the application to end (%s=false): gostream-submit --status %s shows it", conf.YarnSubmitWaitAppCompletion, id)
		return exitOK, nil
	}
	return y.follow(ctx, c, id, stg, prog)
}

// submit stages the application and submits it with an AM container of
// amRes, which in client mode (link not nil) launches executors for the
// driver at link. The application id is printed on stdout, alone, for
// scripts. On failure it returns the exit status.
func (y yarnCluster) submit(ctx context.Context, c *conf.Conf, app *application, appArgs, environ []string, amRes yarn.Resource,
	link *driverLink, stdout io.Writer, logf func(string, ...any)) (yarn.ApplicationID, *client.Staging, int, error) {
	var none yarn.ApplicationID
	maxAttempts := c.Int(conf.YarnMaxAppAttempts)
	if _, warning, err := client.CheckMaxAttempts(y.Hadoop, maxAttempts); err != nil {
		return none, nil, exitUsage, usageError("%v", err)
	} else if warning != "" {
		logf("warning: %s", warning)
	}

	cctx, cancel := context.WithTimeout(ctx, yarnctl.ConnectTimeout)
	id, maxRes, err := y.RM.NewApplication(cctx)
	cancel()
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	logf("submitting %s to YARN as %s (application master: %v; the cluster's largest container: %v)", c.String(conf.AppName), id, amRes, maxRes)

	fsys, dir, err := y.staging(ctx, c, id)
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	stg, err := client.NewStaging(ctx, fsys, dir)
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	submitted := false
	defer func() {
		if !submitted {
			_ = stg.Remove(context.WithoutCancel(ctx))
		}
	}()
	spec, err := y.amSpec(ctx, c, stg, app, appArgs, environ)
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	if link != nil {
		spec.Env[procenv.ClientDriver], spec.Secret = link.addr, link.secret
	}
	lc, err := spec.LaunchContext()
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	sub := &client.SubmissionContext{
		ID: id, Name: c.String(conf.AppName), Queue: c.String(conf.YarnQueue), Priority: int32(c.Int(conf.YarnPriority)),
		Tags: c.Strings(conf.YarnTags), Type: c.String(conf.YarnApplicationType), AMResource: amRes,
		MaxAppAttempts:                  int32(maxAttempts),
		AttemptFailuresValidityInterval: c.Duration(conf.YarnAMAttemptFailuresValidityInterval),
		AM:                              lc,
	}
	sctx, cancel := context.WithTimeout(ctx, yarnctl.ConnectTimeout)
	err = y.RM.SubmitApplication(sctx, sub)
	cancel()
	if err != nil {
		return none, nil, exitStartFailed, err
	}
	submitted = true
	logf("submitted %s; staging directory %s", id, stg.URL())
	fmt.Fprintln(stdout, id)
	return id, stg, exitOK, nil
}

// amSpec uploads the binary, --files and the Hadoop site files and
// describes the AM container.
func (y yarnCluster) amSpec(ctx context.Context, c *conf.Conf, stg *client.Staging, app *application, appArgs, environ []string) (am.Spec, error) {
	spec := am.Spec{App: filepath.Base(app.path), Args: appArgs, Resources: map[string]yarn.LocalResource{}, StagingDir: stg.URL()}
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
	for _, src := range y.Hadoop.Sources() {
		if err := add(src, filepath.Base(src)); err != nil {
			return spec, err
		}
	}

	spec.Env = map[string]string{security.EnvUser: y.User}
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
func (y yarnCluster) remoteResource(ctx context.Context, url string) (yarn.LocalResource, error) {
	fsys, p, err := y.Resolver.ForPath(ctx, url)
	if err != nil {
		return yarn.LocalResource{}, fmt.Errorf("%s: %w", conf.Files, err)
	}
	st, err := fsys.Stat(ctx, p)
	if err != nil {
		return yarn.LocalResource{}, fmt.Errorf("%s: %w", conf.Files, err)
	}
	return yarn.LocalResource{URL: fsys.String() + p, Size: st.Size(), Timestamp: st.ModTime().UnixMilli()}, nil
}

// follow reports the application's state changes until it ends, and exits
// 0 only when it ended SUCCEEDED. When ctx ends first (a signal), the
// application keeps running.
// On a terminal, a status line under the log lines shows how the
// application does.
func (y yarnCluster) follow(ctx context.Context, c *conf.Conf, id yarn.ApplicationID, stg *client.Staging, prog *progress) (int, error) {
	logf, interval := prog.logf, c.Duration(conf.YarnReportInterval)
	var latest atomic.Pointer[client.ApplicationReport]
	sctx, stopStatus := context.WithCancel(ctx)
	var shown sync.WaitGroup
	if prog.tty {
		shown.Add(1)
		go func() {
			defer shown.Done()
			showStatus(sctx, prog, interval, latest.Load)
		}()
	}
	r, err := y.Follow(ctx, id, interval, func(prev, cur *client.ApplicationReport) {
		latest.Store(cur)
		reportChange(prev, cur, logf)
	})
	stopStatus()
	shown.Wait()
	prog.clear()
	switch {
	case ctx.Err() != nil:
		logf("stopped following %s; it keeps running: gostream-submit --kill %s stops it", id, id)
		return exitStartFailed, nil
	case err != nil:
		return exitStartFailed, err
	}
	// The AM removes the staging directory when it unregisters; an
	// application killed or failed without unregistering leaves it to us.
	removeStaging(ctx, c, stg, logf)
	if r.FinalStatus == yarn.FinalSucceeded {
		return exitOK, nil
	}
	return exitStartFailed, fmt.Errorf("application %s ended %s with final status %s", id, r.State, r.FinalStatus)
}

// removeStaging removes the application's staging directory once it has
// ended, unless gostream.yarn.preserve.staging.files.
func removeStaging(ctx context.Context, c *conf.Conf, stg *client.Staging, logf func(string, ...any)) {
	if c.Bool(conf.YarnPreserveStagingFiles) {
		return
	}
	if err := stg.Remove(context.WithoutCancel(ctx)); err != nil {
		logf("warning: %v", err)
	}
}

// reportChange logs what changed between the previous report and cur.
func reportChange(prev, cur *client.ApplicationReport, logf func(string, ...any)) {
	if prev.CurrentAttempt.Attempt > 0 && cur.CurrentAttempt.Attempt > prev.CurrentAttempt.Attempt {
		logf("%s: attempt %d started (attempt %d ended): %s", cur.ID, cur.CurrentAttempt.Attempt, prev.CurrentAttempt.Attempt, yarnctl.OneLine(cur.Diagnostics))
	}
	switch {
	case cur.State == yarn.StateRunning:
		if prev.State != cur.State || prev.TrackingURL != cur.TrackingURL || prev.CurrentAttempt != cur.CurrentAttempt {
			logf("%s: RUNNING, attempt %d, tracking URL %s", cur.ID, cur.CurrentAttempt.Attempt, cur.TrackingURL)
		}
	case cur.State.Terminal():
		attempt := ""
		if cur.CurrentAttempt.Attempt > 0 {
			attempt = fmt.Sprintf(", attempt %d", cur.CurrentAttempt.Attempt)
		}
		logf("%s: %s, final status %s%s, diagnostics: %s", cur.ID, cur.State, cur.FinalStatus, attempt, yarnctl.OneLine(cur.Diagnostics))
	case cur.State != prev.State:
		logf("%s: %s", cur.ID, cur.State)
	}
}

// yarnCommand runs --status or --kill.
func yarnCommand(ctx context.Context, o *options, c *conf.Conf, environ []string, stdout io.Writer, logf func(string, ...any)) (int, error) {
	arg := o.status
	if o.kill != "" {
		arg = o.kill
	}
	id, err := yarn.ParseApplicationID(arg)
	if err != nil {
		return exitUsage, usageError("%v: give an application id like application_1700000000000_0001", err)
	}
	y, err := yarnctl.Connect(ctx, environ, kerberosCredentials(c))
	if err != nil {
		if errors.Is(err, yarnctl.ErrConfig) {
			return exitUsage, err
		}
		return exitStartFailed, err
	}
	defer y.Close()
	if o.status != "" {
		r, err := y.Report(ctx, id)
		if err != nil {
			return exitStartFailed, err
		}
		yarnctl.PrintReport(stdout, r)
		return exitOK, nil
	}
	r, err := y.Kill(ctx, id, "killed with gostream-submit --kill by "+y.User, c.String(conf.YarnStagingDir), c.Duration(conf.NetworkTimeout))
	if err != nil {
		return exitStartFailed, err
	}
	logf("%s: %s, final status %s", id, r.State, r.FinalStatus)
	return exitOK, nil
}

// kerberosCredentials is the Kerberos login the configuration gives
// (--principal, --keytab); empty means the ticket cache.
func kerberosCredentials(c *conf.Conf) security.Credentials {
	return security.Credentials{Principal: c.String(conf.KerberosPrincipal), Keytab: c.String(conf.KerberosKeytab)}
}

// errKerberosSubmit refuses a submission to a kerberized cluster, which
// needs delegation tokens gostream does not obtain yet; nothing is submitted.
var errKerberosSubmit = errors.New("submitting to a kerberized YARN cluster is not supported yet: the NodeManagers need an HDFS delegation token to localize the application, which gostream does not obtain yet (--status, --kill and a local master work with Kerberos)")
