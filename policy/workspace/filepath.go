package workspace

import (
	"path"
	"strings"
)

// extensionless are file names without an extension that are still files
// (not directories) when a tool argument says only "path".
var extensionless = map[string]bool{
	"Makefile": true, "makefile": true, "GNUmakefile": true, "Dockerfile": true,
	"Containerfile": true, "Jenkinsfile": true, "Vagrantfile": true, "Gemfile": true,
	"Rakefile": true, "Procfile": true, "Justfile": true, "justfile": true,
	"LICENSE": true, "LICENCE": true, "COPYING": true, "README": true, "NOTICE": true,
	"AUTHORS": true, "CODEOWNERS": true, "BUILD": true, "WORKSPACE": true,
}

// fileRef normalises a candidate file reference: trims quotes, a file://
// scheme and trailing punctuation, and rejects URLs, globs, control
// characters, directories ("x/", ".", "..") and Windows paths. sure says
// the name came from a key or marker that always names a file (file_path,
// "*** Update File:"); otherwise the name must look like a file: an
// extension that starts with a letter, a dotfile, or a known extensionless
// name such as Makefile.
func fileRef(s string, sure bool) (string, bool) {
	s = trimQuotes(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "file://")
	if s == "" || len(s) > maxPathLen || hasControl(s) || strings.Contains(s, "://") ||
		strings.ContainsAny(s, "*?[]{}<>|\\") || strings.HasSuffix(s, "/") {
		return "", false
	}
	if len(s) >= 2 && s[1] == ':' { // C:… is a Windows path, not ours
		return "", false
	}
	if s[0] == '~' { // we do not know the client's home
		return "", false
	}
	p := path.Clean(s)
	base := path.Base(p)
	if base == "." || base == ".." || base == "/" {
		return "", false
	}
	if !sure && (!plainPathChars(p) || !looksLikeFileName(base)) {
		return "", false
	}
	if hasDotDot(s) {
		// Kept as written: after a symbolic link, ".." goes up from where
		// the link leads, which cleaning would hide from the privacy
		// lookup. Counting cleans it.
		return s, true
	}
	return p, true
}

// hasDotDot reports whether the slash-separated path s has a ".." element.
func hasDotDot(s string) bool {
	for rest := s; rest != ""; {
		var el string
		el, rest, _ = strings.Cut(rest, "/")
		if el == ".." {
			return true
		}
	}
	return false
}

func looksLikeFileName(base string) bool {
	if extensionless[base] {
		return true
	}
	i := strings.LastIndexByte(base, '.')
	if i < 0 || i == len(base)-1 {
		return false
	}
	if i == 0 { // .gitignore, .env
		return len(base) > 1
	}
	c := base[i+1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// trimTrailingPunct drops sentence punctuation after a mentioned path
// ("see @src/a.go.") without touching the path itself.
func trimTrailingPunct(s string) string {
	return strings.TrimRight(s, ".,;:!?)'\"`")
}

// plainPathChars reports whether s holds only the characters of ordinary
// source paths, so that a line of code in a tool result ("fmt.Println(x)")
// or prose is not taken for a file name. Names from a key or marker that
// always names a file are not held to this.
func plainPathChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("/._-+@,%=#", c) >= 0:
		case c >= 0x80: // non-ASCII names are legitimate
		default:
			return false
		}
	}
	return true
}
