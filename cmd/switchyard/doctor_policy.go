package main

import (
	"os"
	"path/filepath"

	"github.com/switchyard/switchyard/policy/workspace"
)

// doctorPolicies checks the policy file that governs the current directory
// and each --repo.
func doctorPolicies(r *report, repos []string) {
	store := workspace.NewStore(workspace.StoreOptions{})
	dirs := repos
	if wd, err := os.Getwd(); err == nil {
		dirs = append([]string{wd}, dirs...)
	}
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
