package client_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/ipc/ipctest"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
)

// fakeRM is a ResourceManager just big enough for the client's calls.
type fakeRM struct {
	*ipctest.Server
	mu        sync.Mutex
	submitted []*yarnpb.ApplicationSubmissionContextProto
	killed    []string
}

const clusterTS = 1700000000000

func newFakeRM(t *testing.T) *fakeRM {
	rm := &fakeRM{Server: ipctest.NewServer(t, ipctest.Options{Protocol: client.ProtocolApplicationClient})}
	rm.Handle("getClusterMetrics", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return &yarnpb.GetClusterMetricsResponseProto{ClusterMetrics: &yarnpb.YarnClusterMetricsProto{
			NumNodeManagers: proto.Int32(2), NumActiveNms: proto.Int32(2)}}, nil
	})
	rm.Handle("getNewApplication", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return &yarnpb.GetNewApplicationResponseProto{
			ApplicationId:     yarn.ApplicationID{ClusterTimestamp: clusterTS, ID: 7}.Proto(),
			MaximumCapability: yarn.Resource{MemoryMB: 4096, VCores: 4}.Proto(),
		}, nil
	})
	rm.Handle("submitApplication", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.SubmitApplicationRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		sc := req.GetApplicationSubmissionContext()
		if sc.GetResource().GetMemory() > 4096 {
			return nil, &ipc.RemoteError{Class: "org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException", Message: "Invalid resource request"}
		}
		rm.mu.Lock()
		rm.submitted = append(rm.submitted, sc)
		rm.mu.Unlock()
		return &yarnpb.SubmitApplicationResponseProto{}, nil
	})
	rm.Handle("getApplicationReport", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.GetApplicationReportRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		id := yarn.ApplicationIDFromProto(req.GetApplicationId())
		if id.ID != 7 {
			return nil, &ipc.RemoteError{Class: "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException",
				Message: "Application with id '" + id.String() + "' doesn't exist in RM."}
		}
		return &yarnpb.GetApplicationReportResponseProto{ApplicationReport: &yarnpb.ApplicationReportProto{
			ApplicationId: id.Proto(), Name: proto.String("app"), Queue: proto.String("default"), User: proto.String(c.User),
			YarnApplicationState:   yarnpb.YarnApplicationStateProto_RUNNING.Enum(),
			FinalApplicationStatus: yarnpb.FinalApplicationStatusProto_APP_UNDEFINED.Enum(),
			Host:                   proto.String("nm1"), RpcPort: proto.Int32(-1), TrackingUrl: proto.String("http://rm/proxy"),
			CurrentApplicationAttemptId: yarn.AttemptID{App: id, Attempt: 2}.Proto(),
			ApplicationType:             proto.String("GOSTREAM"), StartTime: proto.Int64(clusterTS + 5),
		}}, nil
	})
	rm.Handle("getApplicationAttempts", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.GetApplicationAttemptsRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		id := yarn.ApplicationIDFromProto(req.GetApplicationId())
		return &yarnpb.GetApplicationAttemptsResponseProto{ApplicationAttempts: []*yarnpb.ApplicationAttemptReportProto{
			{ApplicationAttemptId: yarn.AttemptID{App: id, Attempt: 1}.Proto(),
				YarnApplicationAttemptState: yarnpb.YarnApplicationAttemptStateProto_APP_ATTEMPT_FAILED.Enum(),
				Diagnostics:                 proto.String("exit 1"), StartTime: proto.Int64(clusterTS + 5), FinishTime: proto.Int64(clusterTS + 9)},
			{ApplicationAttemptId: yarn.AttemptID{App: id, Attempt: 2}.Proto(),
				YarnApplicationAttemptState: yarnpb.YarnApplicationAttemptStateProto_APP_ATTEMPT_RUNNING.Enum(), StartTime: proto.Int64(clusterTS + 10)},
		}}, nil
	})
	rm.Handle("forceKillApplication", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.KillApplicationRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		rm.mu.Lock()
		rm.killed = append(rm.killed, yarn.ApplicationIDFromProto(req.GetApplicationId()).String()+":"+req.GetDiagnostics())
		rm.mu.Unlock()
		return &yarnpb.KillApplicationResponseProto{IsKillCompleted: proto.Bool(false)}, nil
	})
	rm.Handle("getClusterNodes", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.GetClusterNodesRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		resp := &yarnpb.GetClusterNodesResponseProto{}
		for _, s := range req.GetNodeStates() {
			if s == yarnpb.NodeStateProto_NS_RUNNING {
				for _, port := range []int32{18041, 18141} {
					resp.NodeReports = append(resp.NodeReports, &yarnpb.NodeReportProto{
						NodeId: &yarnpb.NodeIdProto{Host: proto.String("localhost"), Port: proto.Int32(port)}, NodeState: s.Enum(),
						Capability: yarn.Resource{MemoryMB: 4096, VCores: 4}.Proto(), RackName: proto.String("/default-rack"),
					})
				}
			}
		}
		return resp, nil
	})
	return rm
}

func connect(t *testing.T, rm *fakeRM) *client.Client {
	t.Helper()
	conf := hadoopconf.New(map[string]string{hadoopconf.KeyRMAddress: rm.Addr, hadoopconf.KeyAMMaxAttempts: "4"})
	c, err := client.New(ctxT(t), conf, client.Options{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewApplicationAndSubmit(t *testing.T) {
	rm := newFakeRM(t)
	c := connect(t, rm)
	ctx := ctxT(t)
	id, max, err := c.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.String() != "application_1700000000000_0007" || max != (yarn.Resource{MemoryMB: 4096, VCores: 4}) {
		t.Fatalf("%v %v", id, max)
	}
	sub := &client.SubmissionContext{
		ID: id, Name: "wordcount", Priority: 3, Tags: []string{"a", "b"},
		AMResource: yarn.Resource{MemoryMB: 1024, VCores: 1}, MaxAppAttempts: 3,
		AttemptFailuresValidityInterval: 90 * time.Second,
		AM: yarn.ContainerLaunchContext{
			LocalResources: map[string]yarn.LocalResource{"app": {URL: "hdfs://127.0.0.1:18020/user/bob/.gostream/application_1700000000000_0007/app", Size: 1234, Timestamp: 1700000000123}},
			Environment:    map[string]string{"GOSTREAM_ROLE": "am", "A": "1"},
			Commands:       []string{"./app 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
			Tokens:         []byte("HDTS\x00\x00\x00"),
		},
	}
	if err := c.SubmitApplication(ctx, sub); err != nil {
		t.Fatal(err)
	}
	got := rm.submitted[0]
	if got.GetApplicationName() != "wordcount" || got.GetQueue() != "default" || got.GetApplicationType() != "GOSTREAM" ||
		got.GetMaxAppAttempts() != 3 || got.GetAttemptFailuresValidityInterval() != 90000 || got.GetPriority().GetPriority() != 3 ||
		got.GetResource().GetMemory() != 1024 || got.GetResource().GetVirtualCores() != 1 || strings.Join(got.GetApplicationTags(), ",") != "a,b" {
		t.Fatalf("submitted %v", got)
	}
	am := got.GetAmContainerSpec()
	lr := am.GetLocalResources()[0]
	u := lr.GetValue().GetResource()
	if lr.GetKey() != "app" || u.GetScheme() != "hdfs" || u.GetHost() != "127.0.0.1" || u.GetPort() != 18020 ||
		u.GetFile() != "/user/bob/.gostream/application_1700000000000_0007/app" || lr.GetValue().GetSize() != 1234 ||
		lr.GetValue().GetTimestamp() != 1700000000123 || lr.GetValue().GetType() != yarnpb.LocalResourceTypeProto_FILE ||
		lr.GetValue().GetVisibility() != yarnpb.LocalResourceVisibilityProto_APPLICATION {
		t.Fatalf("local resource %v", lr)
	}
	if am.GetEnvironment()[0].GetKey() != "A" || len(am.GetCommand()) != 1 || string(am.GetTokens()) != "HDTS\x00\x00\x00" {
		t.Fatalf("launch context %v", am)
	}

	big := *sub
	big.AMResource.MemoryMB = 1 << 20
	err = c.SubmitApplication(ctx, &big)
	if !errors.Is(err, client.ErrInvalidResourceRequest) || !strings.Contains(err.Error(), "maximum-allocation") {
		t.Fatalf("oversized AM: %v", err)
	}
}

func TestSubmitValidation(t *testing.T) {
	rm := newFakeRM(t)
	c := connect(t, rm)
	for name, sub := range map[string]*client.SubmissionContext{
		"no id":      {AMResource: yarn.Resource{MemoryMB: 1, VCores: 1}, AM: yarn.ContainerLaunchContext{Commands: []string{"x"}}},
		"no command": {ID: yarn.ApplicationID{ClusterTimestamp: 1, ID: 1}, AMResource: yarn.Resource{MemoryMB: 1, VCores: 1}},
		"bad url": {ID: yarn.ApplicationID{ClusterTimestamp: 1, ID: 1}, AMResource: yarn.Resource{MemoryMB: 1, VCores: 1},
			AM: yarn.ContainerLaunchContext{Commands: []string{"x"}, LocalResources: map[string]yarn.LocalResource{"a": {URL: "relative/path", Size: 1, Timestamp: 1}}}},
		"no timestamp": {ID: yarn.ApplicationID{ClusterTimestamp: 1, ID: 1}, AMResource: yarn.Resource{MemoryMB: 1, VCores: 1},
			AM: yarn.ContainerLaunchContext{Commands: []string{"x"}, LocalResources: map[string]yarn.LocalResource{"a": {URL: "hdfs://nn/x", Size: 1}}}},
	} {
		if err := c.SubmitApplication(ctxT(t), sub); !errors.Is(err, client.ErrInvalidSubmission) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(rm.submitted) != 0 {
		t.Errorf("invalid submissions reached the RM")
	}
}

func TestReportKillNodes(t *testing.T) {
	rm := newFakeRM(t)
	c := connect(t, rm)
	ctx := ctxT(t)
	id := yarn.ApplicationID{ClusterTimestamp: clusterTS, ID: 7}
	r, err := c.ApplicationReport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != yarn.StateRunning || r.FinalStatus != yarn.FinalUndefined || r.User != "bob" || r.Host != "nm1" ||
		r.CurrentAttempt.String() != "appattempt_1700000000000_0007_000002" || r.State.Terminal() || r.StartTime.UnixMilli() != clusterTS+5 || !r.FinishTime.IsZero() {
		t.Fatalf("report %+v", r)
	}
	_, err = c.ApplicationReport(ctx, yarn.ApplicationID{ClusterTimestamp: clusterTS, ID: 8})
	var e *client.Error
	if !errors.Is(err, client.ErrApplicationNotFound) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &e) || e.Op != "application report" {
		t.Fatalf("unknown application: %v", err)
	}
	if !strings.Contains(err.Error(), "application_1700000000000_0008") {
		t.Errorf("message %q", err)
	}
	atts, err := c.ApplicationAttempts(ctx, id)
	if err != nil || len(atts) != 2 || !atts[0].Failed || atts[0].Diagnostics != "exit 1" || atts[0].FinishTime.UnixMilli() != clusterTS+9 ||
		atts[1].Failed || atts[1].ID.Attempt != 2 || !atts[1].FinishTime.IsZero() {
		t.Fatalf("attempts %+v %v", atts, err)
	}
	done, err := c.KillApplication(ctx, id, "operator asked")
	if err != nil || done {
		t.Fatalf("kill: %v %v", done, err)
	}
	if rm.killed[0] != "application_1700000000000_0007:operator asked" {
		t.Errorf("killed %v", rm.killed)
	}
	nodes, err := c.ClusterNodes(ctx, yarn.NodeRunning)
	if err != nil || len(nodes) != 2 || nodes[0].ID != "localhost:18041" || nodes[0].State != yarn.NodeRunning || nodes[0].State.String() != "RUNNING" {
		t.Fatalf("nodes %+v %v", nodes, err)
	}
	m, err := c.ClusterMetrics(ctx)
	if err != nil || m.Active != 2 {
		t.Fatalf("metrics %+v %v", m, err)
	}
}

func TestUnreachableRM(t *testing.T) {
	rm := newFakeRM(t)
	addr := rm.Addr
	rm.Close()
	conf := hadoopconf.New(map[string]string{hadoopconf.KeyRMAddress: addr})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := client.New(ctx, conf)
	if err == nil || !strings.Contains(err.Error(), addr) || !ipc.IsConnError(err) {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestCheckMaxAttempts(t *testing.T) {
	conf := hadoopconf.New(map[string]string{hadoopconf.KeyAMMaxAttempts: "4"})
	for _, tc := range []struct {
		req, want int
		warn      bool
	}{{0, 4, false}, {2, 2, false}, {4, 4, false}, {10, 4, true}} {
		got, warning, err := client.CheckMaxAttempts(conf, tc.req)
		if err != nil || got != tc.want || (warning != "") != tc.warn {
			t.Errorf("%d: %d %q %v", tc.req, got, warning, err)
		}
	}
	if n, _, _ := client.CheckMaxAttempts(hadoopconf.New(nil), 5); n != 2 {
		t.Errorf("default cap %d, want 2", n)
	}
}

// TestKerberosWithoutCredentials: a configuration directory asking for
// Kerberos, with no keytab login and no ticket cache, fails before
// connecting with security.ErrKerberosRequired.
func TestKerberosWithoutCredentials(t *testing.T) {
	rm := newFakeRM(t)
	dir := t.TempDir()
	site := `<configuration>
  <property><name>hadoop.security.authentication</name><value>kerberos</value></property>
  <property><name>yarn.resourcemanager.address</name><value>` + rm.Addr + `</value></property>
</configuration>`
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HADOOP_CONF_DIR", dir)
	t.Setenv("YARN_CONF_DIR", "")
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(security.EnvKrb5Config, krb5)
	t.Setenv(security.EnvKrb5CCName, "FILE:"+filepath.Join(dir, "no-cache"))
	c, err := client.New(t.Context(), nil)
	if err == nil {
		c.Close()
	}
	if !errors.Is(err, security.ErrKerberosRequired) || !errors.Is(err, hadoopconf.ErrConfig) {
		t.Fatalf("client.New with Kerberos: %v, want security.ErrKerberosRequired", err)
	}
}
