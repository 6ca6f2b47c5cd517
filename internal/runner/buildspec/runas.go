package buildspec

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// identity is a user commands run as (run-as), resolved on this machine.
type identity struct {
	name string
	uid  int
	gid  int
	home string
	cred *syscall.Credential // nil: the user running the build, no switch
}

// resolveUsers resolves every run-as user of spec before anything runs. A user other than the
// one running the build needs a switch, which only root may make: a build that asks for one
// otherwise fails here, clearly, instead of running its commands as someone else.
func resolveUsers(spec *Spec) (map[string]*identity, error) {
	names := map[string]string{} // user → the field naming it first
	if spec.RunAs != "" {
		names[spec.RunAs] = "run-as"
	}
	for _, p := range Phases {
		if ph := spec.Phases[p]; ph != nil && ph.RunAs != "" {
			if _, seen := names[ph.RunAs]; !seen {
				names[ph.RunAs] = "phases." + string(p) + ".run-as"
			}
		}
	}
	out := map[string]*identity{}
	for _, name := range sortedKeys(names) {
		field := names[name]
		u, err := user.Lookup(name)
		if err != nil {
			if _, numErr := strconv.Atoi(name); numErr == nil {
				u, err = user.LookupId(name)
			}
		}
		if err != nil {
			return nil, &FieldError{Field: field, Message: fmt.Sprintf("no user %q on this machine: create it, or remove run-as", name)}
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			return nil, &FieldError{Field: field, Message: fmt.Sprintf("user %q has no numeric uid and gid here", name)}
		}
		id := &identity{name: u.Username, uid: uid, gid: gid, home: u.HomeDir}
		if uid != os.Geteuid() {
			if os.Geteuid() != 0 {
				return nil, &FieldError{Field: field, Message: fmt.Sprintf(
					"running commands as %s (uid %d) needs a process that may switch users (root), and this one runs as uid %d: run the build as root, or remove run-as", name, uid, os.Geteuid())}
			}
			var groups []uint32
			if gids, err := u.GroupIds(); err == nil {
				for _, g := range gids {
					if n, err := strconv.Atoi(g); err == nil {
						groups = append(groups, uint32(n))
					}
				}
			}
			id.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
		}
		out[name] = id
	}
	return out, nil
}

// grant gives a run-as user the build's directories, as CodeBuild gives the user it runs
// commands as read and run access to the build. Owning them lets the user's commands write
// their outputs next to the sources, as a build does. The walk stays inside each directory:
// a symlink the build left there is changed itself, never what it points to.
func grant(id *identity, dirs ...string) error {
	for _, dir := range dirs {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return fmt.Errorf("buildspec: giving %s to run-as user %s: %w", dir, id.name, err)
		}
		err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return root.Lchown(p, id.uid, id.gid)
		})
		root.Close()
		if err != nil {
			return fmt.Errorf("buildspec: giving %s to run-as user %s: %w", dir, id.name, err)
		}
	}
	return nil
}

// SwitchesUser reports whether running spec needs commands run as a user other than the one
// running the build (a run-as naming another user). Its error is Run's for such a spec: an
// unknown user, or a switch this process may not make.
func SwitchesUser(spec *Spec) (bool, error) {
	users, err := resolveUsers(spec)
	if err != nil {
		return false, err
	}
	for _, id := range users {
		if id.cred != nil {
			return true, nil
		}
	}
	return false, nil
}
