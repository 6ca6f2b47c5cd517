//go:build !unix

package backend

// lockFile does not lock where flock is missing: provider processes of one Terraform command
// may then each leave only their own entry in the working directory's record.
func lockFile(string) (func(), error) { return func() {}, nil }
