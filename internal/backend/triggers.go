package backend

import (
	"context"
	"time"
)

// Triggers is what the trigger daemon (`codepipeline serve`) needs of a backend: a view of
// every account and region of the partition it serves — all pipelines, what changed, which
// daemon watches, where each source stands, every webhook. The local backend offers it over
// its state directory; on AWS, CodePipeline watches sources itself.
type Triggers interface {
	// WatchedFiles are the files whose writes mean the partition changed, in directory dir:
	// the daemon waits on file notifications for them instead of polling.
	WatchedFiles() (dir string, files []string)
	// AllPipelines returns every pipeline of every account and region.
	AllPipelines(ctx context.Context) ([]*PipelineRecord, error)
	// ChangeMarks summarizes what the daemon reacts to: the newest object write (a position in
	// the ordered log of object writes) and a fingerprint of the pipelines. Equal marks mean
	// nothing it watches changed.
	ChangeMarks(ctx context.Context) (objectSeq int64, pipelines string, err error)
	// LatestObjectVersion returns the latest version of bucket/key that is not a delete
	// marker, with its position in the object log; found is false when there is none.
	LatestObjectVersion(ctx context.Context, bucket, key string) (seq int64, versionID string, found bool, err error)
	// TriggerCursor returns what the daemon stored for a source ("" when nothing), and
	// SaveTriggerCursor stores it.
	TriggerCursor(ctx context.Context, k CursorKey) (string, error)
	SaveTriggerCursor(ctx context.Context, k CursorKey, state string) error
	// AcquireLease makes owner the holder of the named lease until ttl from now, when the
	// lease is free, expired or already owner's; it reports whether owner holds it.
	// ReleaseLease gives it up if owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
	// LookupWebhook returns the webhook of any account and region, with its secret.
	LookupWebhook(ctx context.Context, accountID, region, name string) (*Webhook, error)
	// Account is the view of one account and region, with the repositories and functions
	// directories this value was opened with. The caller closes it.
	Account(accountID, region string) TriggerAccount
}

// TriggerAccount is an account and region as the daemon acts in it.
type TriggerAccount interface {
	Backend
	Runner
	ActionLogs
	// StartTriggeredRun starts a run for revision of source (a source action or a webhook),
	// unless a run was already started for it: then it returns nil, nil. Two daemons reacting
	// to one change start one run.
	StartTriggeredRun(ctx context.Context, req RunRequest, source, revision string) (*Run, error)
	// StartTriggeredRunOnce starts a run for a trigger of source unless any of keys was seen
	// before, within its window: then it returns nil, nil and reserves none of the keys.
	StartTriggeredRunOnce(ctx context.Context, req RunRequest, source string, keys ...ReplayKey) (*Run, error)
	// RepositoryPath is the directory of a local git source's repository, as a run of p
	// would find it (p's RepositoriesDir unless this value has its own).
	RepositoryPath(p *PipelineRecord, name string) (string, error)
}

// ReplayKey is one way of recognizing a trigger seen before: a revision or a delivery id,
// remembered for ever (Window 0), or a digest of what was delivered, remembered for Window.
type ReplayKey struct {
	Value  string
	Window time.Duration
}

// CursorKey names one watched source action.
type CursorKey struct {
	AccountID, Region, Pipeline, Action string
}
