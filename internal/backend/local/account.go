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

// repositoriesRoot is the directory local git sources are looked up in.
func (a *Account) repositoriesRoot() string {
	if a.repositoriesDir != "" {
		return a.repositoriesDir
	}
	return filepath.Join(a.c.dir, "repositories")
}

// functionsRoot is the directory local Invoke/Lambda handlers are looked up in.
func (a *Account) functionsRoot() string {
	if a.functionsDir != "" {
		return a.functionsDir
	}
	return filepath.Join(a.c.dir, "functions")
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
