package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// endpointLease is the lease row announcing the AWS endpoint serving the state directory; its
// owner is the backend.EndpointAnnouncement as JSON.
const endpointLease = "aws-endpoint"

// actionSessionDuration is how long an action's role session lasts (CodeBuild's default).
const actionSessionDuration = time.Hour

// AnnounceEndpoint: see backend.Cloud.
func (a *Account) AnnounceEndpoint(ctx context.Context, e backend.EndpointAnnouncement, ttl time.Duration) error {
	owner, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return a.c.write(ctx, func(tx *sql.Tx) error {
		if ttl <= 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND owner = ?`, endpointLease, string(owner))
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
			endpointLease, string(owner), a.c.now().UTC().Add(ttl).Format(time.RFC3339Nano))
		return err
	})
}

// announcedEndpoint is the AWS endpoint announced now, or nil.
func (c *Cloud) announcedEndpoint(ctx context.Context) (*backend.EndpointAnnouncement, error) {
	var owner, expires string
	err := c.reader.QueryRowContext(ctx, `SELECT owner, expires_at FROM leases WHERE name = ?`, endpointLease).Scan(&owner, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !c.now().Before(parseTime(expires)) {
		return nil, nil
	}
	var e backend.EndpointAnnouncement
	if err := json.Unmarshal([]byte(owner), &e); err != nil || e.URL == "" {
		return nil, nil // not an announcement this version wrote: as if none
	}
	return &e, nil
}

// roleCredentials are the environment variables that make AWS tools in an action act as a
// session of its role against the announced AWS endpoint, or none when no endpoint is
// announced. The service running the action (CodeBuild, CodePipeline) is who assumes the role,
// as on AWS, so no caller's trust is evaluated; what the session may do is decided by the
// role's policies on every request, as for any other session.
func (x *executor) roleCredentials(ctx context.Context, roleARN, sessionName string) (map[string]string, error) {
	e, err := x.a.c.announcedEndpoint(ctx)
	if err != nil || e == nil {
		return nil, err
	}
	key, err := x.a.c.serviceRoleSession(ctx, roleARN, sessionName, actionSessionDuration)
	if err != nil {
		return nil, fmt.Errorf("credentials of role %s for the AWS endpoint %s: %w", roleARN, e.URL, err)
	}
	vars := map[string]string{
		"AWS_ACCESS_KEY_ID": key.ID, "AWS_SECRET_ACCESS_KEY": key.Secret, "AWS_SESSION_TOKEN": key.SessionToken,
		"AWS_ENDPOINT_URL": e.URL,
	}
	if e.CABundle != "" {
		vars["AWS_CA_BUNDLE"] = e.CABundle
	}
	return vars, nil
}

// serviceRoleSession issues temporary credentials of a session of roleARN, as a service the
// role trusts does. The role need not be in the roles table: a pipeline's service role is taken
// as a role of its account (see serviceRolePolicy), and its sessions act with that policy.
func (c *Cloud) serviceRoleSession(ctx context.Context, roleARN, sessionName string, duration time.Duration) (*backend.AccessKey, error) {
	if !isRoleARN(roleARN) {
		return nil, fmt.Errorf("%q is not a role ARN: %w", roleARN, backend.ErrInvalid)
	}
	parsed, _ := arn.Parse(roleARN)
	name := parsed.Resource[strings.LastIndexByte(parsed.Resource, '/')+1:]
	role, err := c.roleByARN(ctx, c.reader, roleARN)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	roleID := ""
	if role != nil {
		roleID = role.ID
	}
	now := c.now().UTC()
	key := &backend.AccessKey{
		ID: newAccessKeyID("ASIA"), Secret: randomText(30), SessionToken: "pk" + randomText(96),
		Expires: now.Add(duration).Truncate(time.Second), AccountID: parsed.AccountID,
		Principal: "arn:" + string(parsed.Partition) + ":sts::" + parsed.AccountID + ":assumed-role/" + name + "/" + sessionName,
		RoleARN:   roleARN, RoleID: roleID, SessionName: sessionName, Created: now,
	}
	return key, c.storeSessionKey(ctx, key, now)
}
