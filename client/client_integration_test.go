//go:build integration

package client_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/testcluster"
)

func connectCluster(t *testing.T) (*client.Client, *testcluster.Cluster) {
	t.Helper()
	tc := testcluster.Get(t)
	conf, err := hadoopconf.Load(tc.HadoopConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := client.New(ctx, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, tc
}

func TestIntegrationClusterView(t *testing.T) {
	c, _ := connectCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	m, err := c.ClusterMetrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster metrics: %+v", m)
	if m.Active != 2 {
		t.Errorf("%d active NodeManagers, want 2", m.Active)
	}
	nodes, err := c.ClusterNodes(ctx, yarn.NodeRunning)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("%d RUNNING nodes, want 2: %+v", len(nodes), nodes)
	}
	for _, n := range nodes {
		t.Logf("node %s %s capability %v used %v", n.ID, n.State, n.Capability, n.Used)
		if n.State != yarn.NodeRunning || n.Capability.MemoryMB <= 0 {
			t.Errorf("node %+v", n)
		}
	}
	all, err := c.ClusterNodes(ctx)
	if err != nil || len(all) < 2 {
		t.Fatalf("all nodes: %v %v", all, err)
	}

	id, max, err := c.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("new application %s, max capability %v", id, max)
	if id.IsZero() || max.MemoryMB <= 0 || max.VCores <= 0 {
		t.Fatalf("new application %v %v", id, max)
	}

	unknown := yarn.ApplicationID{ClusterTimestamp: id.ClusterTimestamp, ID: id.ID + 1000}
	_, err = c.ApplicationReport(ctx, unknown)
	if !errors.Is(err, client.ErrApplicationNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("report of an unknown application: %v", err)
	}
	t.Logf("unknown application: %v", err)
}

func TestIntegrationSubmitAndKill(t *testing.T) {
	c, tc := connectCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	id, _, err := c.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	effective, warning, err := client.CheckMaxAttempts(c.Conf(), 50)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("maxAppAttempts 50 -> %d: %s", effective, warning)
	if warning == "" {
		t.Error("no warning for a capped maxAppAttempts")
	}
	sub := &client.SubmissionContext{
		ID: id, Name: "gostream-client-it", Queue: "default", Tags: []string{"gostream-it"},
		AMResource: yarn.Resource{MemoryMB: 256, VCores: 1}, MaxAppAttempts: 1,
		AttemptFailuresValidityInterval: time.Minute,
		AM: yarn.ContainerLaunchContext{
			Environment: map[string]string{"GOSTREAM_IT": "1"},
			Commands:    []string{"sleep 30 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	}
	if err := c.SubmitApplication(ctx, sub); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.KillApplication(context.Background(), id, "test cleanup") })

	var r *client.ApplicationReport
	for {
		r, err = c.ApplicationReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The AM never registers, so the application stays ACCEPTED (until
		// the RM expires the attempt after yarn.am.liveness-monitor.expiry-interval-ms).
		if (r.State == yarn.StateAccepted || r.State == yarn.StateRunning) && !r.CurrentAttempt.IsZero() {
			break
		}
		if r.State.Terminal() {
			t.Fatalf("application ended early: %+v", r)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("application never ran: %+v", r)
		case <-time.After(300 * time.Millisecond):
		}
	}
	t.Logf("report: state %s attempt %s host %s type %s tags %v queue %s", r.State, r.CurrentAttempt, r.Host, r.Type, r.Tags, r.Queue)
	if r.Type != client.ApplicationType || r.Name != "gostream-client-it" || r.CurrentAttempt.App != id {
		t.Errorf("report %+v", r)
	}
	rest, err := tc.App(ctx, id.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("REST view: %+v", rest)

	if _, err := c.KillApplication(ctx, id, "killed by the integration test"); err != nil {
		t.Fatal(err)
	}
	for {
		r, err = c.ApplicationReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Terminal() {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("application not killed: %+v", r)
		case <-time.After(300 * time.Millisecond):
		}
	}
	if r.State != yarn.StateKilled || r.FinalStatus != yarn.FinalKilled {
		t.Fatalf("after kill: %s %s (%s)", r.State, r.FinalStatus, r.Diagnostics)
	}
	t.Logf("killed: %s %s diagnostics %q", r.State, r.FinalStatus, r.Diagnostics)
	// Killing again is harmless.
	if _, err := c.KillApplication(ctx, id, ""); err != nil {
		t.Fatalf("second kill: %v", err)
	}
}

func TestIntegrationUnreachableRM(t *testing.T) {
	conf := hadoopconf.New(map[string]string{hadoopconf.KeyRMAddress: "127.0.0.1:1"})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := client.New(ctx, conf)
	if err == nil {
		t.Fatal("connected to nothing")
	}
	t.Logf("after %v: %v", time.Since(start), err)
	if time.Since(start) > 6*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

// The AM's side of part 1's plumbing against the real RM: the credentials
// file the NodeManager writes for the AM container (HADOOP_TOKEN_FILE_LOCATION,
// copied to the container's log directory by the AM command) parses, holds
// the AMRMToken, and that token authenticates (SASL DIGEST-MD5) to the RM's
// scheduler port, where the AM registers and unregisters.
func TestIntegrationAMRMTokenRegister(t *testing.T) {
	c, tc := connectCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	id, _, err := c.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = c.SubmitApplication(ctx, &client.SubmissionContext{
		ID: id, Name: "gostream-amrm-it", AMResource: yarn.Resource{MemoryMB: 256, VCores: 1}, MaxAppAttempts: 1,
		AM: yarn.ContainerLaunchContext{Commands: []string{
			`cp "$HADOOP_TOKEN_FILE_LOCATION" <LOG_DIR>/container_tokens.tmp && mv <LOG_DIR>/container_tokens.tmp <LOG_DIR>/container_tokens && sleep 60`,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.KillApplication(context.Background(), id, "test cleanup") })

	var data []byte
	for data == nil {
		logs, err := tc.ContainerLogs(id.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logs {
			if b, ok := l.Files["container_tokens"]; ok {
				data = b
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the AM never wrote its token file")
		case <-time.After(300 * time.Millisecond):
		}
	}
	creds, err := token.Parse(data)
	if err != nil {
		t.Fatalf("parse the NodeManager's credentials file (% x): %v", data[:min(len(data), 16)], err)
	}
	for _, e := range creds.Tokens {
		t.Logf("token %q: %v", e.Alias, e.Token)
	}
	amrm, ok := creds.ByKind(token.KindAMRM)
	if !ok {
		t.Fatalf("no %s in %+v", token.KindAMRM, creds)
	}
	var ident yarnpb.AMRMTokenIdentifierProto
	if err := proto.Unmarshal(amrm.Identifier, &ident); err != nil {
		t.Fatalf("AMRMToken identifier: %v", err)
	}
	attempt := yarn.AttemptIDFromProto(ident.GetAppAttemptId())
	if attempt.App != id {
		t.Fatalf("token for %v, want an attempt of %v", attempt, id)
	}
	// Round trip through our writer and reader.
	for _, f := range []token.Format{token.Format0, token.Format1} {
		b, err := creds.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := token.Parse(b)
		if err != nil || !back.Equal(creds) {
			t.Fatalf("format %d round trip: %v", f, err)
		}
	}
	if f0, _ := creds.Marshal(token.Format0); string(f0) != string(data) {
		t.Logf("note: re-encoding differs from Hadoop's bytes (map order); %d vs %d bytes", len(f0), len(data))
	}

	addrs, err := c.Conf().RMSchedulerAddresses()
	if err != nil {
		t.Fatal(err)
	}
	am, err := ipc.NewClient(ipc.Options{Addrs: addrs, Protocol: "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB",
		Auth: ipc.TokenAuth{Token: amrm}})
	if err != nil {
		t.Fatal(err)
	}
	defer am.Close()
	var reg yarnpb.RegisterApplicationMasterResponseProto
	err = am.Call(ctx, "registerApplicationMaster", &yarnpb.RegisterApplicationMasterRequestProto{
		Host: proto.String("localhost"), RpcPort: proto.Int32(-1), TrackingUrl: proto.String(""),
	}, &reg)
	if err != nil {
		t.Fatalf("register with the AMRMToken: %v", err)
	}
	t.Logf("registered %v: max capability %v, queue %s", attempt, yarn.ResourceFromProto(reg.GetMaximumCapability()), reg.GetQueue())

	// Without the token the scheduler refuses us.
	anon, _ := ipc.NewClient(ipc.Options{Addrs: addrs, Protocol: "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB", User: "nobody", MaxRetries: -1})
	defer anon.Close()
	err = anon.Call(ctx, "registerApplicationMaster", &yarnpb.RegisterApplicationMasterRequestProto{}, &yarnpb.RegisterApplicationMasterResponseProto{})
	if !errors.Is(err, ipc.ErrAccessControl) {
		t.Errorf("register without a token: %v, want AccessControlException", err)
	}

	var fin yarnpb.FinishApplicationMasterResponseProto
	for !fin.GetIsUnregistered() {
		err = am.Call(ctx, "finishApplicationMaster", &yarnpb.FinishApplicationMasterRequestProto{
			FinalApplicationStatus: yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED.Enum(), Diagnostics: proto.String("done"),
		}, &fin)
		if err != nil {
			t.Fatalf("unregister: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		r, err := c.ApplicationReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Terminal() {
			if r.State != yarn.StateFinished || r.FinalStatus != yarn.FinalSucceeded {
				t.Fatalf("after unregistering: %s %s %q", r.State, r.FinalStatus, r.Diagnostics)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("application did not finish: %+v", r)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
