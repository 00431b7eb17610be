package main

import (
	"os"
	"path/filepath"

	"github.com/switchyard/switchyard/policy/workspace"
)

// policyDirs are the directories `switchyard doctor` checks the policies
// of: the current one and each --repo.
func policyDirs(repos []string) []string {
	if wd, err := os.Getwd(); err == nil {
		return append([]string{wd}, repos...)
	}
	return repos
}

// doctorPolicies checks, with store, the policy file that governs each of
// dirs. It reads files but sends nothing anywhere, so the daemon can run it
// on the files its own store has seen.
func doctorPolicies(r *report, store *workspace.Store, dirs []string) {
	seen := map[string]bool{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		p := store.Lookup(abs)
		switch {
		case p.DirErr != nil:
			r.add("policy "+abs, statusFail, "name an existing directory", "%v", p.DirErr)
		case p.Err != nil:
			if !seen[p.File] {
				r.add("policy "+p.File, statusFail, "fix the file: privacy: private|public, optional clouds: [names]; until then its jobs stay private",
					"%v", p.Err)
			}
			seen[p.File] = true
		case p.File == "":
			r.add("policy "+abs, statusOK, "", "no .switchyard.yaml above it: policy.default_privacy applies")
		default:
			if !seen[p.File] {
				clouds := "any cloud"
				if p.Clouds != nil {
					clouds = "clouds " + joinOr(p.Clouds, "none")
				}
				r.add("policy "+p.File, statusOK, "", "valid: %s, %s", p.Privacy, clouds)
			}
			seen[p.File] = true
		}
	}
}

func joinOr(list []string, empty string) string {
	if len(list) == 0 {
		return empty
	}
	s := "["
	for i, x := range list {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s + "]"
}
