package router

import (
	"net/http"
	"slices"
	"sync"
)

// Session headers some agents send on every request of a conversation
// (opencode: x-session-id, x-session-affinity). Not every request of a
// session states its directory: opencode's title request carries the
// user's prompt and nothing else. switchyard remembers the directories a
// session stated and applies them to its later requests too, so such a
// request is routed by its repository's policy, not by the default.
var sessionHeaders = []string{"X-Session-Id", "X-Session-Affinity"}

// maxSessions bounds the memory: the oldest session is forgotten first.
const maxSessions = 4096

// sessions remembers, per session id, the directories its requests stated.
// Remembered directories only ever add to a request's, and the strictest
// policy among all applies, so this can tighten a request, never loosen it.
type sessions struct {
	mu    sync.Mutex
	dirs  map[string][]string
	order []string
}

func sessionKey(h http.Header) string {
	for _, k := range sessionHeaders {
		if v := h.Get(k); v != "" && len(v) <= 256 {
			return k + "\x00" + v
		}
	}
	return ""
}

// merge records dirs for the session and returns every directory the
// session has stated, dirs first.
func (s *sessions) merge(key string, dirs []string) []string {
	if key == "" {
		return dirs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirs == nil {
		s.dirs = map[string][]string{}
	}
	known, seen := s.dirs[key]
	out := slices.Clone(dirs)
	for _, d := range known {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if !seen {
		if len(s.order) >= maxSessions {
			delete(s.dirs, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, key)
	}
	if len(out) > 16 {
		out = out[:16]
	}
	s.dirs[key] = out
	return out
}
