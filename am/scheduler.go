package am

import (
	"context"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
)

// ProtocolApplicationMaster is the RM scheduler protocol.
const ProtocolApplicationMaster = "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB"

// Scheduler is the RM's scheduler as the AM uses it (the
// ApplicationMasterProtocol); tests fake it.
type Scheduler interface {
	Register(ctx context.Context, host string, port int32, trackingURL string) (*yarnpb.RegisterApplicationMasterResponseProto, error)
	Allocate(ctx context.Context, req *yarnpb.AllocateRequestProto) (*yarnpb.AllocateResponseProto, error)
	// Finish unregisters with a final status; it returns once the RM has
	// recorded it.
	Finish(ctx context.Context, status yarn.FinalStatus, diagnostics, trackingURL string) error
	// SetToken switches to a rolled AMRMToken.
	SetToken(t token.Token)
	Close() error
}

// rmScheduler is Scheduler over Hadoop IPC.
type rmScheduler struct{ rpc *ipc.Client }

// DialScheduler makes a scheduler client of the RM at addrs (HA: several)
// authenticated with the AMRMToken. It connects on the first call.
func DialScheduler(addrs []string, amrm token.Token, callTimeout time.Duration) (Scheduler, error) {
	rpc, err := ipc.NewClient(ipc.Options{Addrs: addrs, Protocol: ProtocolApplicationMaster,
		Auth: security.Token(amrm), CallTimeout: callTimeout})
	if err != nil {
		return nil, fmt.Errorf("RM scheduler %v: %w", addrs, err)
	}
	return &rmScheduler{rpc: rpc}, nil
}

func (s *rmScheduler) Register(ctx context.Context, host string, port int32, url string) (*yarnpb.RegisterApplicationMasterResponseProto, error) {
	var resp yarnpb.RegisterApplicationMasterResponseProto
	req := &yarnpb.RegisterApplicationMasterRequestProto{Host: proto.String(host), RpcPort: proto.Int32(port), TrackingUrl: proto.String(url)}
	if err := s.rpc.Call(ctx, "registerApplicationMaster", req, &resp, ipc.Idempotent()); err != nil {
		return nil, fmt.Errorf("register the application master: %w", err)
	}
	return &resp, nil
}

func (s *rmScheduler) Allocate(ctx context.Context, req *yarnpb.AllocateRequestProto) (*yarnpb.AllocateResponseProto, error) {
	var resp yarnpb.AllocateResponseProto
	// allocate is idempotent in Hadoop (the response id dedupes a repeat).
	if err := s.rpc.Call(ctx, "allocate", req, &resp, ipc.Idempotent()); err != nil {
		return nil, fmt.Errorf("allocate: %w", err)
	}
	return &resp, nil
}

func (s *rmScheduler) Finish(ctx context.Context, status yarn.FinalStatus, diag, url string) error {
	req := &yarnpb.FinishApplicationMasterRequestProto{
		FinalApplicationStatus: status.Proto(),
		Diagnostics:            proto.String(diag), TrackingUrl: proto.String(url),
	}
	// The RM answers isUnregistered=false until it has stored the outcome:
	// ask again, as Hadoop's AMRMClient does.
	for {
		var resp yarnpb.FinishApplicationMasterResponseProto
		if err := s.rpc.Call(ctx, "finishApplicationMaster", req, &resp, ipc.Idempotent()); err != nil {
			return fmt.Errorf("unregister the application master (%s): %w", status, err)
		}
		if resp.GetIsUnregistered() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("unregister the application master (%s): %w", status, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *rmScheduler) SetToken(t token.Token) { s.rpc.SetAuth(security.Token(t)) }
func (s *rmScheduler) Close() error           { return s.rpc.Close() }

// dialScheduler reads the AMRMToken and the RM's scheduler address.
func dialScheduler(callTimeout time.Duration) (Scheduler, error) {
	creds, err := token.ReadFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	amrm, ok := creds.ByKind(token.KindAMRM)
	if !ok {
		return nil, fmt.Errorf("no %s among the container's tokens: is this a YARN AM container?", token.KindAMRM)
	}
	hc, err := hadoopconf.LoadFromEnv()
	if err != nil {
		return nil, fmt.Errorf("the RM scheduler address: %w", err)
	}
	addrs, err := hc.RMSchedulerAddresses()
	if err != nil {
		return nil, fmt.Errorf("the RM scheduler address: %w", err)
	}
	return DialScheduler(addrs, amrm, callTimeout)
}
