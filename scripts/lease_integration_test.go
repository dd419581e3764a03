//go:build integration

package scripts_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarn"
)

// TestIntegrationStartAfterForcedStop: the operator's kill, fix, start
// again. gostream-stop.sh --force kills an application whose graceful stop
// does not finish in time (its batches wait on a slow sink), so its driver
// never releases the checkpoint directory's lease; the next
// gostream-start.sh on the same directory must run at once — YARN says the
// holder's application was KILLED, so its lease is free — and count every
// acknowledged record exactly once. (Before, the new application was
// refused: the lease was held until it expired, 3 minutes.)
func TestIntegrationStartAfterForcedStop(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("forced")
	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=1"}, "-sink-delay", "3s")
	killed := a.ID
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(100)
	status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker, "-t", "1", "--force")
	if status != 5 || !strings.Contains(stderr, "was killed") {
		t.Fatalf("gostream-stop.sh --force on a stop slower than 1 s: exit %d, want 5 (killed)", status)
	}
	if r := a.WaitEnd(time.Minute); r.State != yarn.StateKilled {
		t.Fatalf("after --force: %s %s", r.State, r.FinalStatus)
	}
	n, err := strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		t.Fatal(err)
	}

	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=1"})
	if a.ID == killed {
		t.Fatal("gostream-start.sh returned the killed application's id")
	}
	a.WaitRunning(1, 2*time.Minute)
	deadline := time.Now().Add(time.Minute)
	for {
		if v, err := a.Env.ReadFile(a.acked); err == nil {
			if m, _ := strconv.Atoi(v); m > n {
				break
			}
		}
		if r := a.Report(); r.State.Terminal() {
			t.Fatalf("the start after the forced stop ended %s %s: %s", r.State, r.FinalStatus, r.Diagnostics)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the start after the forced stop acknowledged nothing past %d in a minute", n)
		}
		time.Sleep(500 * time.Millisecond)
	}
	a.WaitLog("holder has ended: taking its lease over", 10*time.Second)
	a.stop()
	m := a.checkExactlyOnce(false)
	t.Logf("%d records acknowledged before the kill, %d in all, counted exactly once", n, m)
}

// TestIntegrationZombieAttemptIsFenced: a zombie AM attempt beside its
// successor. Freezing the AM container alone does not make one: the RM
// expires the silent attempt (10 s here) and has its NodeManager kill the
// container, which SIGKILL does, frozen or not. A node that stops answering
// does: the AM and its NodeManager are frozen together, the RM declares the
// node lost and starts attempt 2 elsewhere, which takes the checkpoint
// directory's lease over; then only the AM is thawed, with nobody left to
// kill it. At its next commit (or lease renewal) the zombie finds the newer
// epoch and stops with the fenced error, having written nothing more;
// attempt 2 runs on, and a graceful stop counts every acknowledged record
// exactly once.
func TestIntegrationZombieAttemptIsFenced(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("zombie")
	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=3"})
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(100)

	zombie := a.AMContainer()
	nm, err := o.Cluster.FindContainer(zombie)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := o.Cluster.FreezeDaemon(ctx, nm.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Cluster.ThawDaemon(context.Background(), nm.Name); err != nil {
			t.Errorf("thaw %s: %v", nm.Name, err)
		}
	})
	a.Freeze(zombie)
	t.Logf("froze %s and its NodeManager %s", zombie, nm.Name)

	a.WaitRunning(2, 2*time.Minute)
	a.WaitLog("took the checkpoint directory over from its previous driver", time.Minute)
	n, err := strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		t.Fatal(err)
	}
	a.waitAcked(n) // attempt 2 runs

	frozenLog := containerLog(t, o, a, zombie)
	a.Thaw(zombie, time.Minute) // the zombie must exit by itself
	zlog := containerLog(t, o, a, zombie)
	// Without the fence the zombie completed a dozen batches here (outputs,
	// WAL records, checkpoints) beside attempt 2.
	if before, after := strings.Count(frozenLog, `msg="batch completed"`), strings.Count(zlog, `msg="batch completed"`); after != before {
		t.Errorf("the zombie completed %d batches after the thaw, want none", after-before)
	}
	fenced := regexp.MustCompile(`another driver took over the checkpoint directory: stopping.*attempt 2 .*took over`)
	if !fenced.MatchString(zlog) {
		t.Fatalf("the zombie attempt's log does not say it was fenced by attempt 2:\n%s", zlog[max(0, len(zlog)-5000):])
	}
	t.Logf("the zombie stopped: %s", fenced.FindString(zlog))
	if err := o.Cluster.ThawDaemon(ctx, nm.Name); err != nil {
		t.Fatal(err)
	}

	if r := a.Report(); r.State != yarn.StateRunning || r.CurrentAttempt.Attempt != 2 {
		t.Fatalf("after the zombie stopped: %s, attempt %d; want attempt 2 running", r.State, r.CurrentAttempt.Attempt)
	}
	n, err = strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		t.Fatal(err)
	}
	a.waitAcked(n)
	a.stop()
	m := a.checkExactlyOnce(false)
	t.Logf("%d records acknowledged and counted exactly once through the zombie attempt", m)
}

// containerLog is the stderr of one of a's containers, as written so far.
func containerLog(t *testing.T, o *opsIT, a *app, container string) string {
	t.Helper()
	logs, err := o.Cluster.ContainerLogs(a.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range logs {
		if cl.ContainerID == container {
			return string(cl.Files["stderr"])
		}
	}
	t.Fatalf("no log of %s", container)
	return ""
}

// TestIntegrationLocalDriverAfterKilledApplication: a YARN application
// whose last AM was killed hard (SIGKILL, a lost node) while it held its
// checkpoint directory never releases the lease. A
// local driver started on that directory (with the cluster's
// HADOOP_CONF_DIR) asks the ResourceManager, learns that the application
// has ended and takes the directory over at once; before, it refused to
// start until the lease expired (gostream.streaming.checkpoint.lease.timeout,
// 3 minutes).
func TestIntegrationLocalDriverAfterKilledApplication(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("killed")
	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=1"})
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(0)
	a.KillAM()
	a.WaitEnd(time.Minute)

	cmd := exec.Command(filepath.Join(o.bin, "reliablecount"), "-duration", "4s",
		"-acked", o.URL("local/acked"), "-out", o.URL("local/state"), "-rate", "400", "-chunk", "20")
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+o.Cluster.HadoopConfDir,
		"GOSTREAM_STREAMING_RECEIVER_WRITEAHEADLOG_ENABLE=true", "GOSTREAM_STREAMING_CHECKPOINT_DIRECTORY="+a.ckpt)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the local driver after the killed application: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "took the checkpoint directory over") || !strings.Contains(string(out), a.ID.String()) {
		t.Errorf("the local driver did not say it took the directory over from %s:\n%s", a.ID, out)
	}
}
