// Package independent holds the tests of the aws backend against S3 and KMS implementations
// nobody here wrote — github.com/johannesboyne/gofakes3 and github.com/nsmithuk/local-kms —
// so that what the local cloud's AWS endpoint could share with the local backend (both ours)
// does not hide a mistake of the aws backend. It is a nested module: their dependencies stay
// out of the provider's go.mod. `make test` runs it.
package independent
