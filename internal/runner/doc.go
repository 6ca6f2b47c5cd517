// Package runner groups the pure building blocks the local executor uses to run pipeline
// actions on one machine. Nothing here touches the database or the backend:
//
//   - artifact: deterministic zip of a directory selection, and an unzip that refuses
//     zip-slip paths, symlink escapes, special files and archive bombs.
//   - gitcmd: run git on a repository on disk (local git sources, the trigger daemon).
//   - buildspec: parse CodeBuild buildspec version 0.2, run its phases with CodeBuild's phase
//     transitions, and select its output artifacts.
//   - proc: run a command in its own process group, kill the whole group on cancellation,
//     and keep a size-capped log of its output.
//   - sandbox: run a command in private user, mount and PID namespaces that hide chosen
//     directories (the state directory, other actions' workspaces) from it.
//   - variables: resolve #{variables.name} and #{Namespace.Variable} references in action
//     configuration.
package runner
