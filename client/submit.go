package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// SubmissionContext describes an application to submit.
type SubmissionContext struct {
	ID       yarn.ApplicationID // from NewApplication
	Name     string
	Queue    string // "" means "default"
	Priority int32
	Tags     []string
	// Type is the application type; "" means ApplicationType (GOSTREAM).
	Type string
	// AMResource is the application master's container size.
	AMResource yarn.Resource
	// MaxAppAttempts: how many AM attempts YARN makes (0: the RM's
	// yarn.resourcemanager.am.max-attempts). The RM caps it at that value;
	// see CheckMaxAttempts.
	MaxAppAttempts int32
	// AttemptFailuresValidityInterval: AM failures older than this do not
	// count towards MaxAppAttempts (0: all failures count).
	AttemptFailuresValidityInterval time.Duration
	// KeepContainersAcrossAttempts keeps executors running when the AM is
	// restarted.
	KeepContainersAcrossAttempts bool
	// AM is the AM container's launch context.
	AM yarn.ContainerLaunchContext
}

// Validate checks the context before anything is sent.
func (s *SubmissionContext) Validate() error {
	var problems []string
	if s.ID.IsZero() {
		problems = append(problems, "no application id (call NewApplication first)")
	}
	if s.AMResource.MemoryMB <= 0 || s.AMResource.VCores <= 0 {
		problems = append(problems, fmt.Sprintf("AM resource %v must have memory and vcores", s.AMResource))
	}
	if len(s.AM.Commands) == 0 {
		problems = append(problems, "no AM command")
	}
	if s.MaxAppAttempts < 0 {
		problems = append(problems, fmt.Sprintf("maxAppAttempts %d is negative", s.MaxAppAttempts))
	}
	if s.AttemptFailuresValidityInterval < 0 {
		problems = append(problems, "attemptFailuresValidityInterval is negative")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidSubmission, strings.Join(problems, "; "))
	}
	return nil
}

// Proto converts the context to its wire form.
func (s *SubmissionContext) Proto() (*yarnpb.ApplicationSubmissionContextProto, error) {
	am, err := s.AM.Proto()
	if err != nil {
		return nil, fmt.Errorf("%w: AM launch context: %w", ErrInvalidSubmission, err)
	}
	typ := s.Type
	if typ == "" {
		typ = ApplicationType
	}
	queue := s.Queue
	if queue == "" {
		queue = "default"
	}
	p := &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   s.ID.Proto(),
		ApplicationName: proto.String(s.Name),
		Queue:           proto.String(queue),
		Priority:        &yarnpb.PriorityProto{Priority: proto.Int32(s.Priority)},
		AmContainerSpec: am,
		Resource:        s.AMResource.Proto(),
		ApplicationType: proto.String(typ),
		ApplicationTags: append([]string(nil), s.Tags...),
	}
	if s.MaxAppAttempts > 0 {
		p.MaxAppAttempts = proto.Int32(s.MaxAppAttempts)
	}
	if s.AttemptFailuresValidityInterval > 0 {
		p.AttemptFailuresValidityInterval = proto.Int64(s.AttemptFailuresValidityInterval.Milliseconds())
	}
	if s.KeepContainersAcrossAttempts {
		p.KeepContainersAcrossApplicationAttempts = proto.Bool(true)
	}
	return p, nil
}

// SubmitApplication submits the application. The RM accepts it
// asynchronously: follow ApplicationReport to see it start (or fail).
// Submitting the same id twice is harmless (the RM ignores the repeat), so a
// submission lost with its connection is retried.
func (c *Client) SubmitApplication(ctx context.Context, s *SubmissionContext) error {
	if err := s.Validate(); err != nil {
		return opErr("submit", s.ID, err)
	}
	sc, err := s.Proto()
	if err != nil {
		return opErr("submit", s.ID, err)
	}
	req := &yarnpb.SubmitApplicationRequestProto{ApplicationSubmissionContext: sc}
	if err := c.call(ctx, "submitApplication", req, &yarnpb.SubmitApplicationResponseProto{}); err != nil {
		if errors.Is(err, ErrInvalidResourceRequest) {
			err = fmt.Errorf("%w (the AM asked for %v; see yarn.scheduler.maximum-allocation-mb/-vcores)", err, s.AMResource)
		}
		return opErr("submit", s.ID, err)
	}
	return nil
}
