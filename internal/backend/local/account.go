package local

import (
	"path/filepath"
	"sync"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Account is the local cloud as seen by one account in one region: what one provider
// configuration acts as. It implements backend.Backend; the data-plane methods (PutObject,
// GetObject, ...) act as an explicit principal and evaluate its policies.
type Account struct {
	c         *Cloud
	id        backend.Identity
	closeOnce sync.Once

	// Where local git sources and Invoke/Lambda handlers are found ("" = under the state dir).
	repositoriesDir, functionsDir string

	// onClose, when set, runs once when the value is closed (OpenBackend's bookkeeping).
	onClose func()
}

// For returns the value acting as cfg's account and region, with cfg's repositories and
// functions directories.
func (c *Cloud) For(cfg backend.Config) *Account {
	a := c.As(cfg.AccountID, cfg.Region)
	a.repositoriesDir, a.functionsDir = cfg.RepositoriesDir, cfg.FunctionsDir
	return a
}

// runDirs are the directories a run reads local git sources and Invoke/Lambda handlers from.
type runDirs struct{ repositories, functions string }

// dirsFor are the directories of a run of p driven by this value: this value's own when its
// configuration set them, else those p was written with (PipelineRecord.RepositoriesDir), else
// repositories/ and functions/ in the state directory. p may be nil (a deleted pipeline).
func (a *Account) dirsFor(p *backend.PipelineRecord) runDirs {
	pick := func(own, stored, def string) string {
		switch {
		case own != "":
			return own
		case stored != "":
			return stored
		}
		return filepath.Join(a.c.dir, def)
	}
	var repos, functions string
	if p != nil {
		repos, functions = p.RepositoriesDir, p.FunctionsDir
	}
	return runDirs{pick(a.repositoriesDir, repos, "repositories"), pick(a.functionsDir, functions, "functions")}
}

// Identity is the account and region this value acts as.
func (a *Account) Identity() backend.Identity { return a.id }

// Cloud is the state directory this account acts in.
func (a *Account) Cloud() *Cloud { return a.c }

// Close releases this value's reference to the Cloud; the database closes with the last one.
func (a *Account) Close() error {
	var err error
	a.closeOnce.Do(func() {
		err = a.c.release()
		if a.onClose != nil {
			a.onClose()
		}
	})
	return err
}
