//go:build integration

package scripts_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/testcluster"
)

var (
	soakFor    = flag.Duration("soak", 3*time.Minute, "how long TestIntegrationFaultSoak injects faults (a long run: -soak=1h)")
	soakSeed   = flag.Uint64("soak.seed", 0, "seed of TestIntegrationFaultSoak's fault schedule (0: from the clock)")
	soakFaults = flag.String("soak.faults", "", "comma-separated faults TestIntegrationFaultSoak injects (default: all of "+faultNames()+")")
)

// soakValidity is the application's attempt-failure validity interval:
// faults that may cost an attempt are spaced further apart, so that the
// application's 2 attempts are never used up by the schedule itself. It is
// the executor-failure validity interval too, with room for
// soakExecutorFailures in it: a NodeManager outage alone may cost both
// executors, and the schedule is a run of faults, not a crash loop that
// gostream.executor.maxNumFailures is there to stop (a run of the default
// 4 within 3 minutes failed the soak once).
const (
	soakValidity         = 40 * time.Second
	soakExecutorFailures = 8
)

// fault is one kind of failure the soak injects. inject breaks something and
// mends it (restarting a daemon, thawing a process) before it returns.
type fault struct {
	name        string // for -soak.faults
	costAttempt bool   // may end the current attempt (an AM dies with it)
	inject      func(s *soak) string
}

// soak is one run of TestIntegrationFaultSoak.
type soak struct {
	t        *testing.T
	a        *app
	rng      *rand.Rand
	injected map[string]int
}

// pause is a random duration in [lo, hi).
func (s *soak) pause(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// outage kills daemon d, keeps it down for a while and starts it again,
// waiting until the cluster serves.
func (s *soak) outage(d string, lo, hi time.Duration) string {
	c := s.a.Env.Cluster
	ctx, cancel := context.WithTimeout(s.t.Context(), 5*time.Minute)
	defer cancel()
	down := s.pause(lo, hi)
	if err := c.KillDaemon(ctx, d); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = c.StartDaemon(context.Background(), d) })
	time.Sleep(down)
	if err := c.StartDaemon(ctx, d); err != nil {
		s.t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		s.t.Fatal(err)
	}
	return fmt.Sprintf("%s down for %s", d, down.Round(100*time.Millisecond))
}

// executors are the containers of the current attempt's live executors.
func (s *soak) executors() []string {
	r := s.a.WaitRunning(1, 3*time.Minute)
	st, err := yarnctl.DriverStatus(s.t.Context(), r.TrackingURL)
	if err != nil {
		return nil // the driver is starting: nothing to break there now
	}
	var cs []string
	for _, e := range st.Executors {
		if e.Container != "" {
			cs = append(cs, e.Container)
		}
	}
	return cs
}

// freeze SIGSTOPs container c for a while, then SIGCONTs what is left of
// it (YARN may have killed it meanwhile).
func (s *soak) freeze(c string, lo, hi time.Duration) string {
	cl := s.a.Env.Cluster
	ctx, cancel := context.WithTimeout(s.t.Context(), 30*time.Second)
	defer cancel()
	if _, _, err := cl.FreezeContainer(ctx, c); err != nil {
		s.t.Logf("freeze %s: %v", c, err) // it may have just ended
		return ""
	}
	s.t.Cleanup(func() { _, _, _ = cl.ThawContainer(context.Background(), c) })
	d := s.pause(lo, hi)
	time.Sleep(d)
	ctx, cancel = context.WithTimeout(s.t.Context(), 30*time.Second)
	defer cancel()
	if _, _, err := cl.ThawContainer(ctx, c); err != nil && !errors.Is(err, testcluster.ErrNotFound) {
		s.t.Fatal(err)
	}
	return fmt.Sprintf("froze %s for %s", c, d.Round(100*time.Millisecond))
}

// anExecutor is one of the current attempt's executor containers, or "".
func (s *soak) anExecutor() string {
	cs := s.executors()
	if len(cs) == 0 {
		return ""
	}
	return cs[s.rng.IntN(len(cs))]
}

var faults = []fault{
	{name: "am", costAttempt: true, inject: func(s *soak) string {
		return fmt.Sprintf("killed the AM of attempt %d", s.a.KillAM())
	}},
	{name: "executor", inject: func(s *soak) string {
		c := s.anExecutor()
		if c == "" {
			return ""
		}
		ctx, cancel := context.WithTimeout(s.t.Context(), 30*time.Second)
		defer cancel()
		if _, _, err := s.a.Env.Cluster.KillContainer(ctx, c); err != nil {
			s.t.Logf("executor %s: %v", c, err) // it may have just ended
			return ""
		}
		return "killed executor " + c
	}},
	// An executor frozen past gostream.network.timeout is declared lost and
	// replaced; a shorter freeze is waited out.
	{name: "freeze-executor", inject: func(s *soak) string {
		c := s.anExecutor()
		if c == "" {
			return ""
		}
		return s.freeze(c, 3*time.Second, 25*time.Second)
	}},
	// An AM frozen past the RM's liveness expiry (10 s on the test cluster)
	// loses its attempt: the next one takes over the checkpoint directory,
	// and the thawed one, if YARN has not killed it, is fenced off.
	{name: "freeze-am", costAttempt: true, inject: func(s *soak) string {
		return s.freeze(s.a.AMContainer(), 3*time.Second, 20*time.Second)
	}},
	{name: "nodemanager", costAttempt: true, inject: func(s *soak) string {
		return s.outage([]string{"nm1", "nm2"}[s.rng.IntN(2)], 3*time.Second, 15*time.Second)
	}},
	{name: "datanode", inject: func(s *soak) string {
		return s.outage("dn1", 3*time.Second, 20*time.Second)
	}},
	{name: "namenode", inject: func(s *soak) string {
		return s.outage("nn", 3*time.Second, 20*time.Second)
	}},
}

// TestIntegrationFaultSoak runs the reliable count (a receiver with the
// write-ahead log, state, an output on HDFS) while a seeded random schedule
// breaks the AM, executors, NodeManagers, the DataNode and the NameNode,
// one fault at a time, for -soak (3 minutes by default). Then it stops the
// application with gostream-stop.sh, which must end SUCCEEDED, and checks
// that the state counts every record the source had acknowledged exactly
// once. It logs the seed (replay a schedule with -soak.seed), each fault and
// the totals.
func TestIntegrationFaultSoak(t *testing.T) {
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("fault soak: seed %d, %s of faults (-soak.seed=%d replays this schedule)", seed, *soakFor, seed)
	chosen := faults
	if *soakFaults != "" {
		chosen = nil
		for name := range strings.SplitSeq(*soakFaults, ",") {
			i := slices.IndexFunc(faults, func(f fault) bool { return f.name == name })
			if i < 0 {
				t.Fatalf("-soak.faults: no fault %q (have %s)", name, faultNames())
			}
			chosen = append(chosen, faults[i])
		}
	}
	o := newOpsIT(t)
	s := &soak{t: t, a: o.newApp("soak"), rng: rand.New(rand.NewPCG(seed, 0)), injected: map[string]int{}}
	s.a.start("reliablecount", []string{"--num-executors", "2", "--conf", "gostream.network.timeout=10s", "--conf", "gostream.executor.heartbeatInterval=1s",
		"--conf", "spark.yarn.maxAppAttempts=2",
		"--conf", "spark.yarn.am.attemptFailuresValidityInterval=" + soakValidity.String(),
		"--conf", "spark.executor.failuresValidityInterval=" + soakValidity.String(),
		"--conf", fmt.Sprintf("spark.executor.maxNumFailures=%d", soakExecutorFailures)})
	s.a.WaitRunning(1, 3*time.Minute)
	s.a.waitAcked(0)

	start := time.Now()
	var lastCostly time.Time
	for time.Since(start) < *soakFor {
		time.Sleep(s.pause(5*time.Second, 15*time.Second))
		f := chosen[s.rng.IntN(len(chosen))]
		if f.costAttempt && time.Since(lastCostly) < soakValidity+5*time.Second {
			continue
		}
		s.a.WaitRunning(1, 3*time.Minute)
		what := f.inject(s)
		if what == "" {
			continue
		}
		if f.costAttempt {
			lastCostly = time.Now()
		}
		s.injected[f.name]++
		t.Logf("%s: %s", time.Since(start).Round(time.Second), what)
	}

	// The application must have come through: it runs, and the source goes
	// on acknowledging.
	s.a.WaitRunning(1, 3*time.Minute)
	s.a.waitAcked(s.a.ackedNow())
	s.a.stop()
	n := s.a.checkExactlyOnce(false)
	r := s.a.Report()
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(s.injected)) {
		kinds = append(kinds, fmt.Sprintf("%s ×%d", k, s.injected[k]))
	}
	t.Logf("fault soak, seed %d: %d faults in %s (%s); attempts used: %d; records acknowledged %d, counted exactly once %d, lost 0",
		seed, sum(s.injected), time.Since(start).Round(time.Second), strings.Join(kinds, ", "), r.CurrentAttempt.Attempt, n, n)
}

func faultNames() string {
	var names []string
	for _, f := range faults {
		names = append(names, f.name)
	}
	return strings.Join(names, ",")
}

// ackedNow is the number of records the source has acknowledged so far.
func (a *app) ackedNow() int {
	v, err := a.Env.ReadFile(a.acked)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(v))
	return n
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
