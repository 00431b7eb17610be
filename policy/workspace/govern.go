package workspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/policy"
)

// Governing returns what governs path, a directory or a file (absolute):
// one policy.PolicyFile for each way of reaching it. With no symbolic link
// on the way, that is the walk up from path. With one, it is two walks:
// from where the path says it is (the directory holding the first link on
// the way: what lies through a link is not where the path says), and from
// its real path (where the files are). A job is judged by the strictest,
// so a link can neither carry a private repository's files into a public
// one (pub/link -> priv) nor show a private repository's paths to a cloud
// (priv/view -> pub).
//
// A path that does not exist yet is judged by where the part that exists
// resolves to, with the rest as written. A link on the way that leads to
// nothing (or a loop of links) makes the path unusable, so private.
//
// The answer is kept for StoreOptions.StatInterval, so the files an agent
// resends every turn cost a map lookup each; a changed policy file or link
// is seen within the interval. Callers must not modify the result.
func (s *Store) Governing(path string) []policy.PolicyFile {
	if !filepath.IsAbs(path) {
		return []policy.PolicyFile{{Path: path, Err: errors.New("not an absolute path")}}
	}
	now := s.now()
	s.jmu.RLock()
	e, ok := s.judged[path]
	s.jmu.RUnlock()
	if ok && s.fresh(e.at, now) {
		return e.out
	}
	out := s.govern(path)
	s.jmu.Lock()
	if len(s.judged) >= s.max {
		// Forgetting all at once is cheaper than ordering every hit, and a
		// forgotten path costs only its walks again.
		clear(s.judged)
	}
	s.judged[path] = judgedEntry{at: now, out: out}
	s.jmu.Unlock()
	return out
}

func (s *Store) govern(path string) []policy.PolicyFile {
	lex := filepath.Clean(path)
	link := s.firstLink(lex)
	if link == "" {
		if real, ok := s.realPath(path); ok && real == lex {
			return []policy.PolicyFile{governed(lex, "", s.Lookup(lex))}
		}
		// No link on the cleaned path, but ".." after one in the path as
		// written: fall through and judge both.
	}
	var out []policy.PolicyFile
	if link != "" {
		above := filepath.Dir(link)
		out = append(out, governed(above, policy.ViaAboveLink, s.Lookup(above)))
	} else {
		out = append(out, governed(lex, "", s.Lookup(lex)))
	}
	real, ok := s.realPath(path)
	if !ok {
		return append(out, policy.PolicyFile{Path: real, Via: policy.ViaRealPath,
			Err: errors.New("it cannot be resolved: a symbolic link on the way leads to nothing or into a loop, or a level cannot be examined")})
	}
	return append(out, governed(real, policy.ViaRealPath, s.Lookup(real)))
}

// firstLink returns the shortest prefix of the clean absolute path p that
// is a symbolic link, or "" when none is.
func (s *Store) firstLink(p string) string {
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		prefix := p[:i]
		e := s.lstat(prefix)
		if e.target != "" {
			return prefix
		}
		if e.err != nil {
			return "" // nothing below a missing component is a link
		}
	}
	return ""
}

type judgedEntry struct {
	at  time.Time
	out []policy.PolicyFile
}

// governed is what Lookup found for path, as the policy package judges it.
func governed(path, via string, p Policy) policy.PolicyFile {
	return policy.PolicyFile{Path: path, Via: via, File: p.File, Privacy: p.Privacy, Clouds: p.Clouds, Err: p.Err}
}

// fresh reports whether something learned at is still to be trusted now.
func (s *Store) fresh(at, now time.Time) bool {
	return s.interval > 0 && now.Sub(at) < s.interval && !now.Before(at)
}

// maxLinks is how many symbolic links one resolution follows before it
// gives up (Linux's MAXSYMLINKS).
const maxLinks = 40

// realPath resolves every symbolic link in the absolute path p as the
// kernel does: component by component, a ".." after a link going up from
// where the link leads. A component of p itself that does not exist ends
// the resolution: what follows is kept as written (a file not created
// yet). A link whose target does not resolve, or too many links (a loop),
// make ok false. Each component's Lstat is cached like the walk's stats,
// so the parents many paths share are examined once an interval.
func (s *Store) realPath(p string) (real string, ok bool) {
	links := 0
	return s.resolve(p, &links, false)
}

// resolve is realPath for p; within a link's target (strict) a missing
// component fails.
func (s *Store) resolve(p string, links *int, strict bool) (string, bool) {
	cur, rest := "/", p
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return cur, true
		}
		var comp string
		comp, rest, _ = strings.Cut(rest, "/")
		switch comp {
		case ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, comp)
		e := s.lstat(next)
		switch {
		case e.err != nil && strict:
			return filepath.Join(next, rest), false
		case e.err != nil:
			return filepath.Join(next, rest), errors.Is(e.err, fs.ErrNotExist) || errors.Is(e.err, syscall.ENOTDIR)
		case e.target != "":
			if *links++; *links > maxLinks {
				return filepath.Clean(p), false
			}
			t := e.target
			if !filepath.IsAbs(t) {
				t = cur + "/" + t
			}
			r, ok := s.resolve(t, links, true)
			if !ok {
				return filepath.Join(r, rest), false
			}
			cur = r
		default:
			cur = next
		}
	}
}

// linkEntry is what Lstat, and Readlink for a link, said of a path.
type linkEntry struct {
	at time.Time
	// target is the link's content; "" when the path is not a link.
	target string
	// err is set when the path does not exist or cannot be examined.
	err error
}

func (s *Store) lstat(p string) linkEntry {
	now := s.now()
	s.mu.Lock()
	e, ok := s.links.get(p)
	s.mu.Unlock()
	if ok && s.fresh(e.at, now) {
		return e
	}
	e = linkEntry{at: now}
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		e.err = err
	case fi.Mode()&fs.ModeSymlink != 0:
		e.target, e.err = os.Readlink(p)
		if e.err == nil && e.target == "" {
			e.err = errors.New("empty symbolic link")
		}
	}
	s.mu.Lock()
	s.links.put(p, e)
	s.mu.Unlock()
	return e
}
