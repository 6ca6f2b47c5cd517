// Package newcomer holds the newcomer's session (session_test.go): on a fresh copy of the
// repository, every command that README.md, the guides and the examples' READMEs show in a
// shell block runs in the order a reader meets them, each checked for its exit status and the
// key line of its output. A command added to the documentation without a step in the session,
// or a step whose command the documentation no longer shows, fails it. `make test` runs it.
package newcomer
