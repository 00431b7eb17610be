package workspace

import (
	"path"
	"strings"
)

// maxPathLen is Linux's PATH_MAX: nothing longer names a real directory,
// and refusing it keeps a hostile request from making us store megabytes.
const maxPathLen = 4096

// cleanAbs returns s as a cleaned absolute path, or false when s is not one
// we accept as a stated directory: relative, "~"-based (we do not know the
// client's home), Windows-style, the filesystem root (agents state "/" as
// their workspace root outside a repository; it is not a repository), too
// long, or carrying control characters.
func cleanAbs(s string) (string, bool) {
	s = trimQuotes(strings.TrimSpace(s))
	if len(s) < 2 || len(s) > maxPathLen || s[0] != '/' || hasControl(s) {
		return "", false
	}
	p := path.Clean(s)
	if p == "/" {
		return "", false
	}
	return p, true
}

// trimQuotes strips one pair of matching quotes or backticks around s.
func trimQuotes(s string) string {
	if len(s) >= 2 {
		switch c := s[0]; c {
		case '"', '\'', '`':
			if s[len(s)-1] == c {
				return s[1 : len(s)-1]
			}
		}
	}
	return s
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
