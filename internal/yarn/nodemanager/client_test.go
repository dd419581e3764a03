package nodemanager_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/ipc/ipctest"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarn/nodemanager"
)

func TestClient(t *testing.T) {
	nmTok := token.Token{Identifier: []byte("nm-ident"), Password: []byte("nm-pass"), Kind: token.KindNM}
	srv := ipctest.NewServer(t, ipctest.Options{Protocol: nodemanager.Protocol, Token: &nmTok})
	id := yarn.ContainerID{Attempt: yarn.AttemptID{App: yarn.ApplicationID{ClusterTimestamp: 5, ID: 1}, Attempt: 1}, ID: 2}
	bad := id
	bad.ID = 3
	srv.Handle("startContainers", func(_ context.Context, c *ipctest.Call) (proto.Message, error) {
		var req yarnpb.StartContainersRequestProto
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		r := req.GetStartContainerRequest()[0]
		cmd := r.GetContainerLaunchContext().GetCommand()[0]
		if !strings.HasPrefix(cmd, "./app") || string(r.GetContainerToken().GetIdentifier()) != "ctok" {
			t.Errorf("start request %v", r)
		}
		return &yarnpb.StartContainersResponseProto{FailedRequests: []*yarnpb.ContainerExceptionMapProto{{
			ContainerId: bad.Proto(), Exception: &yarnpb.SerializedExceptionProto{ClassName: proto.String("x.Bad"), Message: proto.String("no")},
		}}}, nil
	})
	srv.Handle("getContainerStatuses", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return &yarnpb.GetContainerStatusesResponseProto{Status: []*yarnpb.ContainerStatusProto{{
			ContainerId: id.Proto(), State: yarnpb.ContainerStateProto_C_RUNNING.Enum(),
		}}}, nil
	})
	srv.Handle("stopContainers", func(context.Context, *ipctest.Call) (proto.Message, error) {
		return &yarnpb.StopContainersResponseProto{}, nil
	})
	nm, err := nodemanager.Dial(srv.Addr, nmTok)
	if err != nil {
		t.Fatal(err)
	}
	defer nm.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ctok := &token.Token{Identifier: []byte("ctok"), Kind: token.KindContainer}
	lc := yarn.ContainerLaunchContext{Commands: []string{"./app"}}
	if err := nm.Start(ctx, id, ctok.Proto(), lc); err != nil {
		t.Fatal(err)
	}
	if err := nm.Start(ctx, bad, ctok.Proto(), lc); !errors.Is(err, nodemanager.ErrContainerRefused) || !strings.Contains(err.Error(), "x.Bad: no") {
		t.Fatalf("refused start: %v", err)
	}
	st, err := nm.Status(ctx, id)
	if err != nil || st.State != "RUNNING" {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := nm.Stop(ctx, id); err != nil {
		t.Fatal(err)
	}
}
