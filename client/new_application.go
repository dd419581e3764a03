package client

import (
	"context"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// NewApplication asks the RM for a new application id; it also returns the
// largest resource one container may have.
func (c *Client) NewApplication(ctx context.Context) (ApplicationID, Resource, error) {
	var resp yarnpb.GetNewApplicationResponseProto
	if err := c.call(ctx, "getNewApplication", &yarnpb.GetNewApplicationRequestProto{}, &resp); err != nil {
		return ApplicationID{}, Resource{}, opErr("new application", ApplicationID{}, err)
	}
	id := ApplicationIDFromProto(resp.GetApplicationId())
	if id.IsZero() {
		return ApplicationID{}, Resource{}, opErr("new application", id, errMissing("application id"))
	}
	return id, ResourceFromProto(resp.GetMaximumCapability()), nil
}
