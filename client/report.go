package client

import (
	"context"
	"fmt"
	"time"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// State is an application's YARN state.
type State int32

// Application states.
const (
	StateNew       = State(yarnpb.YarnApplicationStateProto_NEW)
	StateNewSaving = State(yarnpb.YarnApplicationStateProto_NEW_SAVING)
	StateSubmitted = State(yarnpb.YarnApplicationStateProto_SUBMITTED)
	StateAccepted  = State(yarnpb.YarnApplicationStateProto_ACCEPTED)
	StateRunning   = State(yarnpb.YarnApplicationStateProto_RUNNING)
	StateFinished  = State(yarnpb.YarnApplicationStateProto_FINISHED)
	StateFailed    = State(yarnpb.YarnApplicationStateProto_FAILED)
	StateKilled    = State(yarnpb.YarnApplicationStateProto_KILLED)
)

func (s State) String() string {
	if n, ok := yarnpb.YarnApplicationStateProto_name[int32(s)]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Terminal reports whether the application has ended.
func (s State) Terminal() bool { return s == StateFinished || s == StateFailed || s == StateKilled }

// FinalStatus is the outcome an application reported (or YARN decided).
type FinalStatus int32

// Final statuses.
const (
	FinalUndefined = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_UNDEFINED)
	FinalSucceeded = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED)
	FinalFailed    = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_FAILED)
	FinalKilled    = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_KILLED)
	FinalEnded     = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_ENDED)
)

func (f FinalStatus) String() string {
	switch f {
	case FinalUndefined:
		return "UNDEFINED"
	case FinalSucceeded:
		return "SUCCEEDED"
	case FinalFailed:
		return "FAILED"
	case FinalKilled:
		return "KILLED"
	case FinalEnded:
		return "ENDED"
	}
	return fmt.Sprintf("FinalStatus(%d)", int32(f))
}

// ApplicationReport is the RM's view of an application.
type ApplicationReport struct {
	ID             ApplicationID
	Name, Queue    string
	User           string
	Type           string
	Tags           []string
	State          State
	FinalStatus    FinalStatus
	Diagnostics    string
	TrackingURL    string
	Host           string // the AM's host ("N/A" before it registers)
	RPCPort        int32
	CurrentAttempt AttemptID
	Progress       float32
	StartTime      time.Time
	FinishTime     time.Time // zero while running
}

// ApplicationReport returns the RM's report of an application. An unknown
// application is ErrApplicationNotFound (and fs.ErrNotExist).
func (c *Client) ApplicationReport(ctx context.Context, id ApplicationID) (*ApplicationReport, error) {
	var resp yarnpb.GetApplicationReportResponseProto
	req := &yarnpb.GetApplicationReportRequestProto{ApplicationId: id.Proto()}
	if err := c.call(ctx, "getApplicationReport", req, &resp); err != nil {
		return nil, opErr("application report", id, err)
	}
	p := resp.GetApplicationReport()
	if p == nil {
		return nil, opErr("application report", id, errMissing("report"))
	}
	return reportFromProto(p), nil
}

func reportFromProto(p *yarnpb.ApplicationReportProto) *ApplicationReport {
	r := &ApplicationReport{
		ID: ApplicationIDFromProto(p.GetApplicationId()), Name: p.GetName(), Queue: p.GetQueue(), User: p.GetUser(),
		Type: p.GetApplicationType(), Tags: p.GetApplicationTags(),
		State: State(p.GetYarnApplicationState()), FinalStatus: FinalStatus(p.GetFinalApplicationStatus()),
		Diagnostics: p.GetDiagnostics(), TrackingURL: p.GetTrackingUrl(), Host: p.GetHost(), RPCPort: p.GetRpcPort(),
		CurrentAttempt: AttemptIDFromProto(p.GetCurrentApplicationAttemptId()), Progress: p.GetProgress(),
	}
	if t := p.GetStartTime(); t > 0 {
		r.StartTime = time.UnixMilli(t)
	}
	if t := p.GetFinishTime(); t > 0 {
		r.FinishTime = time.UnixMilli(t)
	}
	return r
}

func errMissing(what string) error {
	return fmt.Errorf("the ResourceManager's response has no %s", what)
}
