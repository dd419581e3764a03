package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// httpTimeout bounds each REST call to the cluster.
const httpTimeout = 10 * time.Second

var httpClient = &http.Client{Timeout: httpTimeout}

// getJSON GETs http://addr+path and decodes the JSON answer into v.
func getJSON(ctx context.Context, addr, path string, v any) error {
	return doJSON(ctx, http.MethodGet, addr, path, nil, v)
}

func doJSON(ctx context.Context, method, addr, path string, body, v any) error {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	url := "http://" + addr + path
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(b)))
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, url, err)
	}
	return nil
}

// Node is a NodeManager as the ResourceManager reports it.
type Node struct {
	ID            string `json:"id"`    // host:port
	State         string `json:"state"` // RUNNING, LOST, UNHEALTHY, ...
	HTTPAddress   string `json:"nodeHTTPAddress"`
	NumContainers int    `json:"numContainers"`
	AvailMemoryMB int64  `json:"availMemoryMB"`
	UsedMemoryMB  int64  `json:"usedMemoryMB"`
}

// Nodes lists the NodeManagers the ResourceManager knows, in any state
// (GET /ws/v1/cluster/nodes).
func (c *Cluster) Nodes(ctx context.Context) ([]Node, error) {
	var r struct {
		Nodes *struct {
			Node []Node `json:"node"`
		} `json:"nodes"`
	}
	if err := getJSON(ctx, c.ResourceManagerWeb, "/ws/v1/cluster/nodes?states=NEW,RUNNING,UNHEALTHY,DECOMMISSIONING,DECOMMISSIONED,LOST,REBOOTED,SHUTDOWN", &r); err != nil {
		return nil, fmt.Errorf("list YARN nodes: %w", err)
	}
	if r.Nodes == nil {
		return nil, nil
	}
	return r.Nodes.Node, nil
}

// RunningNodes counts the NodeManagers in state RUNNING.
func (c *Cluster) RunningNodes(ctx context.Context) (int, error) {
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, node := range nodes {
		if node.State == "RUNNING" {
			n++
		}
	}
	return n, nil
}

// HDFSState is the NameNode's view of HDFS (JMX FSNamesystemState).
type HDFSState struct {
	FSState          string // "Operational" or "safeMode"
	NumLiveDataNodes int
	NumDeadDataNodes int
}

// SafeMode reports whether the NameNode is in safe mode.
func (s HDFSState) SafeMode() bool { return s.FSState != "Operational" }

// HDFS reads the NameNode's state over JMX.
func (c *Cluster) HDFS(ctx context.Context) (HDFSState, error) {
	var r struct {
		Beans []HDFSState `json:"beans"`
	}
	if err := getJSON(ctx, c.NameNodeHTTP, "/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState", &r); err != nil {
		return HDFSState{}, fmt.Errorf("read NameNode state: %w", err)
	}
	if len(r.Beans) == 0 {
		return HDFSState{}, errors.New("read NameNode state: no FSNamesystemState bean")
	}
	return r.Beans[0], nil
}

// checkReady returns nil when HDFS is out of safe mode with a live DataNode
// and every NodeManager is RUNNING.
func (c *Cluster) checkReady(ctx context.Context) error {
	st, err := c.HDFS(ctx)
	if err != nil {
		return err
	}
	if st.SafeMode() || st.NumLiveDataNodes < len(c.DataNodes) {
		return fmt.Errorf("HDFS not ready: %s with %d live DataNode(s)", st.FSState, st.NumLiveDataNodes)
	}
	n, err := c.RunningNodes(ctx)
	if err != nil {
		return err
	}
	if n < len(c.NodeManagers) {
		return fmt.Errorf("YARN not ready: %d of %d NodeManagers RUNNING", n, len(c.NodeManagers))
	}
	return nil
}

// WaitReady waits until HDFS is out of safe mode with every DataNode live and
// every NodeManager is RUNNING, or ctx ends (the error then says what is
// missing).
func (c *Cluster) WaitReady(ctx context.Context) error {
	return poll(ctx, time.Second, c.checkReady)
}

// poll calls f every interval until it returns nil or ctx ends.
func poll(ctx context.Context, interval time.Duration, f func(context.Context) error) error {
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// App is an application as the ResourceManager reports it.
type App struct {
	ID          string `json:"id"`
	State       string `json:"state"`       // NEW ... RUNNING, FINISHED, FAILED, KILLED
	FinalStatus string `json:"finalStatus"` // UNDEFINED, SUCCEEDED, FAILED, KILLED
	Diagnostics string `json:"diagnostics"`
	AMHost      string `json:"amHostHttpAddress"`
	MasterNode  string `json:"masterNodeId"`
}

// App reads one application's report (GET /ws/v1/cluster/apps/ID).
func (c *Cluster) App(ctx context.Context, appID string) (App, error) {
	var r struct {
		App App `json:"app"`
	}
	if err := getJSON(ctx, c.ResourceManagerWeb, "/ws/v1/cluster/apps/"+appID, &r); err != nil {
		return App{}, fmt.Errorf("application %s: %w", appID, err)
	}
	return r.App, nil
}

// KillApp asks the ResourceManager to kill an application.
func (c *Cluster) KillApp(ctx context.Context, appID string) error {
	err := doJSON(ctx, http.MethodPut, c.ResourceManagerWeb, "/ws/v1/cluster/apps/"+appID+"/state", map[string]string{"state": "KILLED"}, nil)
	if err != nil {
		return fmt.Errorf("kill application %s: %w", appID, err)
	}
	return nil
}

// SubmitCommand submits, over the RM's REST API, an application whose AM is
// a shell command (run by bash in the container's working directory; the
// token <LOG_DIR> is the container's log directory). The AM never registers,
// so the RM expires each attempt after yarn.am.liveness-monitor.expiry-interval-ms
// (10 s here) and starts the next, up to maxAttempts. It exercises the
// harness's fault injection without gostream's own YARN client.
func (c *Cluster) SubmitCommand(ctx context.Context, name, command string, memoryMB, maxAttempts int) (string, error) {
	var newApp struct {
		ID string `json:"application-id"`
	}
	if err := doJSON(ctx, http.MethodPost, c.ResourceManagerWeb, "/ws/v1/cluster/apps/new-application", nil, &newApp); err != nil {
		return "", fmt.Errorf("new application: %w", err)
	}
	sub := map[string]any{
		"application-id":   newApp.ID,
		"application-name": name,
		"am-container-spec": map[string]any{
			"commands": map[string]string{"command": command},
		},
		"unmanaged-AM":     false,
		"max-app-attempts": maxAttempts,
		"resource":         map[string]int{"memory": memoryMB, "vCores": 1},
		"application-type": "YARN",
	}
	if err := doJSON(ctx, http.MethodPost, c.ResourceManagerWeb, "/ws/v1/cluster/apps", sub, nil); err != nil {
		return "", fmt.Errorf("submit application %s: %w", newApp.ID, err)
	}
	return newApp.ID, nil
}
