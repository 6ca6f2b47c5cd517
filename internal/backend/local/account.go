package local

import (
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
}

var _ backend.Backend = (*Account)(nil)

// Identity is the account and region this value acts as.
func (a *Account) Identity() backend.Identity { return a.id }

// Cloud is the state directory this account acts in.
func (a *Account) Cloud() *Cloud { return a.c }

// Close releases this value's reference to the Cloud; the database closes with the last one.
func (a *Account) Close() error {
	var err error
	a.closeOnce.Do(func() { err = a.c.release() })
	return err
}
