package client

import (
	"context"
	"time"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// AttemptReport is the RM's view of one attempt of an application.
type AttemptReport struct {
	ID          yarn.AttemptID
	Failed      bool // the attempt ended FAILED (its AM died, failed or expired)
	Diagnostics string
	StartTime   time.Time
	FinishTime  time.Time // zero while it runs
}

// ApplicationAttempts returns the RM's reports of an application's attempts.
func (c *Client) ApplicationAttempts(ctx context.Context, id yarn.ApplicationID) ([]AttemptReport, error) {
	var resp yarnpb.GetApplicationAttemptsResponseProto
	req := &yarnpb.GetApplicationAttemptsRequestProto{ApplicationId: id.Proto()}
	if err := c.call(ctx, "getApplicationAttempts", req, &resp); err != nil {
		return nil, opErr("attempts", id, err)
	}
	var out []AttemptReport
	for _, p := range resp.GetApplicationAttempts() {
		r := AttemptReport{
			ID:          yarn.AttemptIDFromProto(p.GetApplicationAttemptId()),
			Failed:      p.GetYarnApplicationAttemptState() == yarnpb.YarnApplicationAttemptStateProto_APP_ATTEMPT_FAILED,
			Diagnostics: p.GetDiagnostics(),
		}
		if t := p.GetStartTime(); t > 0 {
			r.StartTime = time.UnixMilli(t)
		}
		if t := p.GetFinishTime(); t > 0 {
			r.FinishTime = time.UnixMilli(t)
		}
		out = append(out, r)
	}
	return out, nil
}
