package client

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// KillApplication asks the RM to kill an application, recording diagnostics
// (may be empty) as the reason. It reports whether the kill has completed;
// when not, the application is being killed and ApplicationReport shows
// KILLED soon. Killing an application that already ended is not an error.
func (c *Client) KillApplication(ctx context.Context, id yarn.ApplicationID, diagnostics string) (bool, error) {
	req := &yarnpb.KillApplicationRequestProto{ApplicationId: id.Proto()}
	if diagnostics != "" {
		req.Diagnostics = proto.String(diagnostics)
	}
	var resp yarnpb.KillApplicationResponseProto
	if err := c.call(ctx, "forceKillApplication", req, &resp); err != nil {
		return false, opErr("kill", id, err)
	}
	return resp.GetIsKillCompleted(), nil
}
