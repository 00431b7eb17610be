package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Privacy says whether a job may leave the machine.
type Privacy string

// The two privacies. The zero value is not valid; callers that cannot tell
// must use Private.
const (
	Private Privacy = "private"
	Public  Privacy = "public"
)

// ParsePrivacy reads "private" or "public".
func ParsePrivacy(s string) (Privacy, error) {
	switch Privacy(s) {
	case Private, Public:
		return Privacy(s), nil
	}
	return "", fmt.Errorf("privacy must be %q or %q, not %q", Private, Public, s)
}

// Stricter returns the more restrictive of a and b. Anything that is not
// exactly Public counts as Private, so a zero value can never loosen.
func Stricter(a, b Privacy) Privacy {
	if a == Public && b == Public {
		return Public
	}
	return Private
}

// PolicyFile is what one walk up from a path to a .switchyard.yaml found.
type PolicyFile struct {
	// Path is where the walk started: the path as stated or referenced,
	// or another way of reaching it (Via).
	Path string
	// Via is how Path reaches the stated or referenced path: "" (it is
	// that path), ViaRealPath or ViaAboveLink.
	Via string
	// File is the policy file that decided; "" when the walk found none.
	File string
	// Privacy and Clouds are what File says (Clouds nil: any cloud). They
	// mean nothing when File is "" or Err is set.
	Privacy Privacy
	Clouds  []string
	// Err says why File, or a level of the walk, could not be used.
	Err error
}

// How a PolicyFile's walk reaches a path that a symbolic link leads
// elsewhere.
const (
	// ViaRealPath: the walk started from the path's real path, where its
	// files are.
	ViaRealPath = "real path"
	// ViaAboveLink: the walk started from the directory holding the first
	// link on the path, where the path says it is.
	ViaAboveLink = "the directory holding the link on the way"
)

// Place is a path a job involves and what governs it: one PolicyFile for
// each way of reaching it (the path itself or, when a symbolic link is on
// the way, the directory holding the link and the real path).
type Place struct {
	// Path is absolute, as stated or referenced.
	Path     string
	Governed []PolicyFile
}

// PrivacyInput is everything a job's privacy is decided from.
//
// The rule: a signal that loosens is trusted only from where the agent
// states its directory (Dirs); a signal that tightens is taken from
// everywhere (Files, Header, and every way of reaching each path).
type PrivacyInput struct {
	// Default applies to a job that names no directory, and to a path that
	// no policy file governs. Anything but Public counts as Private.
	Default Privacy
	// Dirs are the directories the job says it works in, in order (the
	// X-Switchyard-Repo header, the directories the agent states, those
	// its session stated before). Each may make the job public.
	Dirs []Place
	// Files are the files the conversation references, each under every
	// directory a relative reference may be relative to. They only
	// tighten: one that is not public makes the job private, and one
	// under a policy with a clouds list narrows the clouds.
	Files []Place
	// Refused, when set, makes the job private outright and says why (a
	// repository header that is not an absolute path).
	Refused string
	// Header is X-Switchyard-Privacy as sent, "" when absent. "private"
	// tightens; anything else changes nothing and is said.
	Header string
}

// PrivacyResult is a job's privacy and where it came from.
type PrivacyResult struct {
	Privacy Privacy
	// Source says where Privacy came from, for people: every policy that
	// counted, and what tightened it.
	Source string
	// Repo is the directory whose policy decided: the first one, unless a
	// stricter one follows it.
	Repo string
	// Clouds, when non-nil, are the only cloud providers allowed.
	Clouds []string
	// PrivateFile names the file reference that made an otherwise public
	// job private, and the policy that made it so; "" when none did.
	PrivateFile string
}

// DecidePrivacy is the one place privacy is combined: the strictest policy
// among the directories a job states wins; an unusable policy file, or a
// walk that cannot be completed, is private; a path no policy file governs
// takes the default; a referenced file can only tighten; so can the
// header. It is pure: the caller has already walked the filesystem.
func DecidePrivacy(in PrivacyInput) PrivacyResult {
	def := Stricter(in.Default, in.Default)
	var r PrivacyResult
	switch {
	case in.Refused != "":
		r.Privacy, r.Source = Private, in.Refused
	case len(in.Dirs) == 0:
		r.Privacy = def
		r.Source = "no repository stated: policy.default_privacy is " + string(def)
	default:
		var sources []string
		for i, d := range in.Dirs {
			p, clouds := judge(d, def)
			if i == 0 {
				r.Privacy, r.Repo, r.Clouds = p, d.Path, clouds
			} else {
				if p != Public && r.Privacy == Public {
					r.Repo = d.Path
				}
				r.Privacy = Stricter(r.Privacy, p)
				r.Clouds = intersectClouds(r.Clouds, clouds)
			}
			sources = append(sources, describe(d, def))
		}
		r.Source = strings.Join(sources, "; ")
		if len(sources) > 1 {
			r.Source += "; the most restrictive applies"
		}
	}

	for _, f := range in.Files {
		p, clouds := judge(f, def)
		if p != Public {
			if r.Privacy == Public {
				src := describe(f, def)
				r.Privacy = Private
				r.PrivateFile = src
				r.Source += "; tightened by file " + src
			}
			continue
		}
		if clouds != nil && r.Privacy == Public {
			r.Clouds = intersectClouds(r.Clouds, clouds)
		}
	}

	switch v := strings.ToLower(strings.TrimSpace(in.Header)); v {
	case "":
	case "private":
		if r.Privacy == Public {
			r.Source = "X-Switchyard-Privacy: private (tightens " + r.Source + ")"
		}
		r.Privacy = Private
	default:
		// "public" cannot loosen anything, and anything else is not a
		// privacy; neither changes the job, both are said.
		r.Source += "; X-Switchyard-Privacy: " + v + " ignored (a request can only tighten privacy)"
	}
	return r
}

// judge is one place's privacy, the strictest of every way of reaching
// it, and its clouds, the intersection of theirs. It allocates nothing
// unless clouds are listed: a conversation's files are judged every turn.
func judge(pl Place, def Privacy) (Privacy, []string) {
	if len(pl.Governed) == 0 {
		return def, nil
	}
	priv := Public
	var clouds []string
	listed := false
	for _, g := range pl.Governed {
		priv = Stricter(priv, judgeOne(g, def))
		if g.Err == nil && g.File != "" && g.Clouds != nil {
			if !listed {
				clouds, listed = slices.Clone(g.Clouds), true
			} else {
				clouds = intersectClouds(clouds, g.Clouds)
			}
		}
	}
	return priv, clouds
}

func judgeOne(g PolicyFile, def Privacy) Privacy {
	switch {
	case g.Err != nil:
		return Private
	case g.File == "":
		return def
	}
	return Stricter(g.Privacy, g.Privacy)
}

// describe says, for people, what judge made of pl.
func describe(pl Place, def Privacy) string {
	if len(pl.Governed) == 0 {
		return pl.Path + " (no policy file looked up: policy.default_privacy is " + string(def) + ")"
	}
	texts := make([]string, len(pl.Governed))
	for i, g := range pl.Governed {
		where := g.Path
		if g.Via != "" {
			where = pl.Path + " (" + g.Via + ": " + g.Path + ")"
		}
		switch {
		case g.Err != nil:
			texts[i] = where + ": policy file unusable, so private (" + g.Err.Error() + ")"
		case g.File == "":
			texts[i] = where + " has no .switchyard.yaml: policy.default_privacy is " + string(def)
		case judgeOne(g, def) == Public:
			texts[i] = where + " is under " + g.File
		default:
			texts[i] = where + " is under " + g.File + " (private)"
		}
	}
	if len(texts) > 1 {
		return strings.Join(texts, ", and ") + ": the most restrictive applies"
	}
	return texts[0]
}

// intersectClouds combines two cloud lists; nil means any.
func intersectClouds(a, b []string) []string {
	switch {
	case a == nil:
		return slices.Clone(b)
	case b == nil:
		return a
	}
	out := []string{}
	for _, c := range a {
		if slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}
