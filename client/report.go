package client

import (
	"context"
	"fmt"
	"time"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// ApplicationReport is the RM's view of an application.
type ApplicationReport struct {
	ID             yarn.ApplicationID
	Name, Queue    string
	User           string
	Type           string
	Tags           []string
	State          yarn.ApplicationState
	FinalStatus    yarn.FinalStatus
	Diagnostics    string
	TrackingURL    string
	Host           string // the AM's host ("N/A" before it registers)
	RPCPort        int32
	CurrentAttempt yarn.AttemptID
	Progress       float32
	StartTime      time.Time
	FinishTime     time.Time // zero while running
}

// ApplicationReport returns the RM's report of an application. An unknown
// application is ErrApplicationNotFound (and fs.ErrNotExist).
func (c *Client) ApplicationReport(ctx context.Context, id yarn.ApplicationID) (*ApplicationReport, error) {
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
		ID: yarn.ApplicationIDFromProto(p.GetApplicationId()), Name: p.GetName(), Queue: p.GetQueue(), User: p.GetUser(),
		Type: p.GetApplicationType(), Tags: p.GetApplicationTags(),
		State: yarn.ApplicationState(p.GetYarnApplicationState()), FinalStatus: yarn.FinalStatus(p.GetFinalApplicationStatus()),
		Diagnostics: p.GetDiagnostics(), TrackingURL: p.GetTrackingUrl(), Host: p.GetHost(), RPCPort: p.GetRpcPort(),
		CurrentAttempt: yarn.AttemptIDFromProto(p.GetCurrentApplicationAttemptId()), Progress: p.GetProgress(),
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
