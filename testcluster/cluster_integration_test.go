//go:build integration

package testcluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/testcluster"
)

// TestYARNAlive: the RM reports both NodeManagers RUNNING.
func TestYARNAlive(t *testing.T) {
	c := testcluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	for _, n := range nodes {
		if n.State == "RUNNING" {
			running[n.ID] = true
		}
	}
	if len(running) != 2 {
		t.Fatalf("RUNNING nodes %v, want 2 (all: %+v)", running, nodes)
	}
	for _, nm := range c.NodeManagers {
		if !running[nm.NodeID] {
			t.Errorf("NodeManager %s (%s) not RUNNING; nodes: %+v", nm.Name, nm.NodeID, nodes)
		}
	}
	st, err := c.HDFS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SafeMode() || st.NumLiveDataNodes != 1 {
		t.Fatalf("HDFS state %+v, want Operational with 1 live DataNode", st)
	}
	t.Logf("runner %s: nodes %v, HDFS %+v", c.Runner, running, st)
}

// TestKillContainerAndLogs submits a shell AM over REST, reads its log,
// kills its container by id and sees YARN start the next attempt.
func TestKillContainerAndLogs(t *testing.T) {
	c := testcluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	marker := fmt.Sprintf("tc-marker-%d", time.Now().UnixNano())
	appID, err := c.SubmitCommand(ctx, "testcluster-kill", "echo "+marker+" 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr; exec sleep 600", 128, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.KillApp(context.Background(), appID) })

	first := strings.Replace(appID, "application_", "container_", 1) + "_01_000001"
	var log testcluster.ContainerLog
	if err := poll(ctx, func() error {
		logs, err := c.ContainerLogs(appID)
		if err != nil {
			return err
		}
		for _, l := range logs {
			if l.ContainerID == first && bytes.Contains(l.Files["stdout"], []byte(marker)) {
				log = l
				return nil
			}
		}
		return fmt.Errorf("no stdout with %s for %s yet (%d containers)", marker, first, len(logs))
	}); err != nil {
		t.Fatal(err)
	}
	nm, pids, err := c.KillContainer(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if nm.Name != log.NodeManager {
		t.Errorf("killed on %s, logs on %s", nm.Name, log.NodeManager)
	}
	t.Logf("killed %s on %s: pids %v", first, nm.Name, pids)
	// The process is gone: killing again finds nothing.
	if _, _, err := c.KillContainer(ctx, first); !errors.Is(err, testcluster.ErrNotFound) {
		t.Errorf("second KillContainer: %v, want ErrNotFound", err)
	}
	second := strings.Replace(appID, "application_", "container_", 1) + "_02_000001"
	if err := poll(ctx, func() error {
		_, err := c.FindContainer(second)
		return err
	}); err != nil {
		app, _ := c.App(ctx, appID)
		t.Fatalf("no second attempt after the kill: %v (app %+v)", err, app)
	}
	if _, err := c.FindContainer("container_1_2_3_4"); !errors.Is(err, testcluster.ErrNotFound) {
		t.Errorf("FindContainer of an unknown id: %v, want ErrNotFound", err)
	}
}

// TestNodeManagerLoss kills a NodeManager: the RM declares it LOST within
// seconds; started again, it is RUNNING again.
func TestNodeManagerLoss(t *testing.T) {
	c := testcluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	nm := c.NodeManagers[1]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = c.StartDaemon(ctx, nm.Name)
		if err := c.WaitReady(ctx); err != nil {
			t.Errorf("cluster not ready after restarting %s: %v", nm.Name, err)
		}
	})
	start := time.Now()
	if err := c.KillDaemon(ctx, nm.Name); err != nil {
		t.Fatal(err)
	}
	if up, err := c.DaemonRunning(ctx, nm.Name); err != nil || up {
		t.Fatalf("DaemonRunning(%s) after kill = %v, %v", nm.Name, up, err)
	}
	if err := poll(ctx, func() error {
		nodes, err := c.Nodes(ctx)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.ID == nm.NodeID && n.State == "LOST" {
				return nil
			}
		}
		return fmt.Errorf("%s not LOST yet: %+v", nm.NodeID, nodes)
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s LOST after %v", nm.NodeID, time.Since(start).Round(time.Second))
	if err := c.StartDaemon(ctx, nm.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

func poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
