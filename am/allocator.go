package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/ui"
)

// YARN container exit statuses the allocator tells apart
// (org.apache.hadoop.yarn.api.records.ContainerExitStatus).
const (
	exitSuccess                 = 0
	exitInvalid                 = -1000 // not ended yet
	exitAborted                 = -100  // released, or lost with its node
	exitPreempted               = -102
	exitKilledByAppMaster       = -105
	exitKilledByRM              = -106
	executorPriority      int32 = 1
)

// ErrTooManyExecutorFailures: executors failed more often than
// gostream.executor.maxNumFailures allows.
var ErrTooManyExecutorFailures = errors.New("too many executor failures")

// ErrRMShutdown: the RM told the AM to shut down or resync (it no longer
// knows this attempt).
var ErrRMShutdown = errors.New("the ResourceManager no longer knows this attempt")

// maxAllocateFailures consecutive failed allocate calls end the attempt.
const maxAllocateFailures = 5

// allocator keeps gostream.executor.instances executors running.
type allocator struct {
	sched    Scheduler
	launcher Launcher
	log      *slog.Logger
	now      func() time.Time

	target      int
	resource    yarn.Resource
	maxFailures int
	failures    failureTracker
	heartbeat   time.Duration // between allocate calls when nothing is pending
	initial     time.Duration // first interval while containers are pending
	callTimeout time.Duration

	responseID int32
	requested  int // containers the RM believes we still want
	nextID     int
	released   map[yarn.ContainerID]bool
	// nodeEnded: how the NodeManagers said lost executors' containers had
	// ended before we released them (the RM then reports them released).
	nodeEnded map[yarn.ContainerID]yarn.ContainerStatus

	// wake cuts the wait before the next allocate call short: an executor
	// was lost.
	wake chan struct{}

	mu      sync.Mutex
	running map[yarn.ContainerID]*Executor
	// lostExecs: executors the driver declared lost, whose containers have
	// not completed yet; toStop: their containers not stopped yet (node
	// addresses).
	lostExecs map[yarn.ContainerID]*Executor
	toStop    map[yarn.ContainerID]string
	failed    int // total failures, for the status page
	ended     []EndedExecutor
}

// retainedEndedExecutors is how many ended executors the status page shows.
const retainedEndedExecutors = 20

// The allocator keeps its executors in the status page's types (package
// ui, which a driver outside YARN serves too).
type (
	// EndedExecutor is an executor whose container completed, and why.
	EndedExecutor = ui.EndedExecutor
	// Executor is an executor container.
	Executor = ui.Executor
)

func (a *allocator) snapshot() (execs []Executor, ended []EndedExecutor, failed int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.running {
		execs = append(execs, *e)
	}
	sort.Slice(execs, func(i, j int) bool { return execs[i].Started.Before(execs[j].Started) })
	return execs, append([]EndedExecutor(nil), a.ended...), a.failed
}

// run heartbeats until ctx ends (nil) or the attempt must end (too many
// executor failures, the RM lost the attempt, allocate failing).
func (a *allocator) run(ctx context.Context) error {
	interval := a.initial
	failures := 0
	for {
		pending, err := a.allocateOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrTooManyExecutorFailures), errors.Is(err, ErrRMShutdown):
			return err
		case err != nil:
			failures++
			a.log.Warn("allocate failed", "err", err, "consecutive", failures)
			if failures >= maxAllocateFailures {
				return fmt.Errorf("%d allocate calls failed in a row: %w", failures, err)
			}
		default:
			failures = 0
		}
		// While containers are pending, ask often (doubling from the initial
		// interval), else once per heartbeat interval, as Spark does.
		if pending {
			interval = min(interval, a.heartbeat)
		} else {
			interval = a.heartbeat
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		case <-a.wake:
		}
		if pending {
			interval = min(2*interval, a.heartbeat)
		} else {
			interval = a.initial
		}
	}
}

// allocateOnce makes one allocate call and handles its answer. It reports
// whether containers are still pending.
func (a *allocator) allocateOnce(ctx context.Context) (bool, error) {
	a.mu.Lock()
	want := a.target - len(a.running)
	stop := a.toStop
	a.toStop = map[yarn.ContainerID]string{}
	a.mu.Unlock()
	// Lost executors' containers are released in this call (the RM kills
	// them if their NodeManager does not) and stopped after it.
	for id, node := range stop {
		a.askNode(ctx, id, node)
		a.released[id] = true
	}
	defer a.stopContainers(ctx, stop)
	req := &yarnpb.AllocateRequestProto{ResponseId: proto.Int32(a.responseID), Progress: proto.Float32(0.1)}
	// The ask is the total the RM should still allocate; send it only when
	// it changes, as AMRMClient does (a repeated ask would reset the RM's
	// count and over-allocate).
	if want != a.requested {
		req.Ask = []*yarnpb.ResourceRequestProto{{
			Priority:      &yarnpb.PriorityProto{Priority: proto.Int32(executorPriority)},
			ResourceName:  proto.String("*"),
			Capability:    a.resource.Proto(),
			NumContainers: proto.Int32(int32(max(want, 0))),
			RelaxLocality: proto.Bool(true),
		}}
	}
	for id := range a.released {
		req.Release = append(req.Release, id.Proto())
	}
	cctx, cancel := context.WithTimeout(ctx, a.callTimeout)
	resp, err := a.sched.Allocate(cctx, req)
	cancel()
	if err != nil {
		return want > 0, err
	}
	if req.Ask != nil {
		a.requested = max(want, 0)
	}
	clear(a.released)
	a.responseID = resp.GetResponseId()
	if resp.AMCommand != nil { // AM_RESYNC or AM_SHUTDOWN
		return false, fmt.Errorf("%w (allocate answered %s)", ErrRMShutdown, resp.GetAMCommand())
	}
	if t := resp.GetAmRmToken(); t != nil {
		a.log.Info("the RM rolled the AMRMToken: using the new one")
		a.sched.SetToken(token.FromProto(t))
	}
	a.launcher.UpdateTokens(resp.GetNmTokens())
	if err := a.completed(resp.GetCompletedContainerStatuses()); err != nil {
		return false, err
	}
	a.allocated(ctx, resp.GetAllocatedContainers())
	if err := a.checkFailures(); err != nil {
		return false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.target > len(a.running), nil
}

// completed handles containers that ended.
func (a *allocator) completed(sts []*yarnpb.ContainerStatusProto) error {
	for _, p := range sts {
		s := yarn.ContainerStatusFromProto(p)
		id := s.ID
		a.mu.Lock()
		e, ours := a.running[id]
		delete(a.running, id)
		lostExec, lost := a.lostExecs[id]
		delete(a.lostExecs, id)
		a.mu.Unlock()
		if ns, ok := a.nodeEnded[id]; ok {
			delete(a.nodeEnded, id)
			if s.ExitStatus == exitAborted {
				s.ExitStatus, s.Diagnostics = ns.ExitStatus, ns.Diagnostics
			}
		}
		code := s.ExitStatus
		if lost {
			a.lostCompleted(lostExec, s)
			continue
		}
		if !ours {
			continue // released by us, or not an executor
		}
		reason := exitReason(s)
		switch code {
		case exitSuccess:
			a.recordEnd(e, s, reason, false)
			a.log.Info("executor exited", "executor", e.ID, "container", id, "node", e.Node)
		case exitPreempted, exitKilledByAppMaster:
			a.recordEnd(e, s, reason, false)
			a.log.Info("executor container ended by YARN, not counted as a failure: "+reason, "executor", e.ID, "container", id, "exit", code, "diagnostics", s.Diagnostics)
		default:
			a.recordEnd(e, s, reason, true)
			a.log.Warn("executor failed: "+reason, "executor", e.ID, "container", id, "node", e.Node, "exit", code, "diagnostics", s.Diagnostics)
		}
	}
	return nil
}

// lost handles executor id, which the driver declared lost (silent for
// gostream.network.timeout, or its connection ended): it leaves the running
// set at once, so that the next allocate call, made now, asks for a
// replacement; its container is released and stopped, so that a frozen or
// partitioned process does not keep it. The failure is counted when the RM
// reports the container completed, once. An executor whose container
// already completed is not running: nothing to do.
func (a *allocator) lost(id string, cause error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for cid, e := range a.running {
		if e.ID != id {
			continue
		}
		delete(a.running, cid)
		a.lostExecs[cid] = e
		a.toStop[cid] = e.Node
		a.log.Warn("executor lost: releasing its container and asking for a replacement", "executor", id, "container", cid, "node", e.Node, "err", cause)
		select {
		case a.wake <- struct{}{}:
		default:
		}
		return
	}
}

// askNode asks the NodeManager at node how lost container id ended, if it
// has: an executor killed for memory drops its connection as it dies, so
// the driver declares it lost and we release its container, often before
// the NodeManager reports the kill, and the RM then reports only "released"
// (-100). A container still running (frozen) or a NodeManager that does
// not answer leaves the RM's word.
func (a *allocator) askNode(ctx context.Context, id yarn.ContainerID, node string) {
	sctx, cancel := context.WithTimeout(ctx, a.callTimeout)
	s, err := a.launcher.Status(sctx, id, node)
	cancel()
	if err != nil || s.ExitStatus == exitInvalid {
		return
	}
	a.nodeEnded[id] = s
}

// stopContainers stops the containers of lost executors through their
// NodeManagers (node addresses by container), which kills a frozen process
// at once; the release already sent covers a NodeManager that cannot be
// reached.
func (a *allocator) stopContainers(ctx context.Context, nodes map[yarn.ContainerID]string) {
	for id, node := range nodes {
		sctx, cancel := context.WithTimeout(ctx, a.callTimeout)
		err := a.launcher.Stop(sctx, id, node)
		cancel()
		if err != nil {
			a.log.Info("could not stop a lost executor's container through its NodeManager: the RM stops it, as it is released", "container", id, "node", node, "err", err)
		}
	}
}

// lostCompleted counts a lost executor's container completing as a failure,
// unless YARN preempted it: its process may have ended, or been killed
// because it was lost, before or after the driver noticed.
func (a *allocator) lostCompleted(e *Executor, s yarn.ContainerStatus) {
	reason := exitReason(s)
	if s.ExitStatus == exitPreempted {
		a.recordEnd(e, s, reason, false)
		a.log.Info("lost executor's container was preempted by YARN, not counted as a failure", "executor", e.ID, "container", s.ID, "diagnostics", s.Diagnostics)
		return
	}
	a.recordEnd(e, s, reason, true)
	a.log.Warn("executor failed: "+reason, "executor", e.ID, "container", s.ID, "node", e.Node, "exit", s.ExitStatus, "declaredLost", true, "diagnostics", s.Diagnostics)
}

// recordEnd records executor e's container ending for the status page and,
// if it is a failure, counts it with its reason.
func (a *allocator) recordEnd(e *Executor, s yarn.ContainerStatus, reason string, failure bool) {
	if failure {
		a.recordFailure(s.ID.String() + " (executor " + e.ID + ") " + reason)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended = append(a.ended, EndedExecutor{ID: e.ID, Container: s.ID.String(), Node: e.Node, Ended: a.now(),
		ExitStatus: s.ExitStatus, Reason: reason, Failure: failure})
	if len(a.ended) > retainedEndedExecutors {
		a.ended = a.ended[len(a.ended)-retainedEndedExecutors:]
	}
}

func (a *allocator) recordFailure(what string) {
	a.failures.add(a.now(), what)
	a.mu.Lock()
	a.failed++
	a.mu.Unlock()
}

// checkFailures fails the attempt when executors failed too often, saying
// why each of them failed.
func (a *allocator) checkFailures() error {
	n := a.failures.count(a.now())
	if n < a.maxFailures {
		return nil
	}
	within := ""
	if a.failures.validity > 0 {
		within = " within " + a.failures.validity.String()
	}
	return fmt.Errorf("%w: %d executor failures%s reached gostream.executor.maxNumFailures=%d: %s",
		ErrTooManyExecutorFailures, n, within, a.maxFailures, a.failures.describe())
}

// allocated launches executors in new containers, releasing the ones not
// needed.
func (a *allocator) allocated(ctx context.Context, cs []*yarnpb.ContainerProto) {
	a.requested = max(a.requested-len(cs), 0)
	for _, c := range cs {
		id := yarn.ContainerIDFromProto(c.GetId())
		a.mu.Lock()
		need := len(a.running) < a.target
		a.mu.Unlock()
		if !need {
			a.log.Info("releasing a container not needed", "container", id)
			a.released[id] = true
			continue
		}
		a.nextID++
		e := &Executor{ID: strconv.Itoa(a.nextID), Container: id.String(), Node: nodeAddr(c.GetNodeId()), Started: a.now()}
		lctx, cancel := context.WithTimeout(ctx, a.callTimeout)
		err := a.launcher.Launch(lctx, c, e.ID)
		cancel()
		if err != nil {
			a.log.Warn("could not launch an executor: releasing its container", "executor", e.ID, "container", id, "err", err)
			a.released[id] = true
			a.recordFailure(fmt.Sprintf("%s (executor %s) could not be launched: %v", id, e.ID, err))
			continue
		}
		a.log.Info("executor launched", "executor", e.ID, "container", id, "node", e.Node)
		a.mu.Lock()
		a.running[id] = e
		a.mu.Unlock()
	}
}
