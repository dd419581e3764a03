package client

import (
	"context"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// NewApplication asks the RM for a new application id; it also returns the
// largest resource one container may have.
func (c *Client) NewApplication(ctx context.Context) (yarn.ApplicationID, yarn.Resource, error) {
	var resp yarnpb.GetNewApplicationResponseProto
	if err := c.call(ctx, "getNewApplication", &yarnpb.GetNewApplicationRequestProto{}, &resp); err != nil {
		return yarn.ApplicationID{}, yarn.Resource{}, opErr("new application", yarn.ApplicationID{}, err)
	}
	id := yarn.ApplicationIDFromProto(resp.GetApplicationId())
	if id.IsZero() {
		return yarn.ApplicationID{}, yarn.Resource{}, opErr("new application", id, errMissing("application id"))
	}
	return id, yarn.ResourceFromProto(resp.GetMaximumCapability()), nil
}
