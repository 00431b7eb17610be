package secrets

import (
	"net/url"
	"strings"
)

// Passwords in URLs: scheme://user:password@host, as in database URLs and
// git remotes (RFC 3986 §3.2.1 userinfo, deprecated for passwords but still
// everywhere in .env files). The password must pass the same test as a
// labelled value, so "user:password@" in docs does not count.
const maxAuthority = 256

func detectURLPasswords(sc *scanner) {
	s := sc.text
	for from := 0; from < len(s); {
		k := strings.Index(s[from:], "://")
		if k < 0 {
			return
		}
		i := from + k + len("://")
		from = i
		// The authority runs to the first '/', '?', '#' or delimiter; a
		// password may hold an unescaped '@', so the host starts after the
		// last one.
		j := i
		for j < len(s) && j-i < maxAuthority && !authorityEnd(s[j]) {
			j++
		}
		at := strings.LastIndexByte(s[i:j], '@')
		if at < 0 {
			continue
		}
		userinfo := s[i : i+at]
		colon := strings.IndexByte(userinfo, ':')
		if colon < 0 {
			continue
		}
		ps, pe := i+colon+1, i+at
		// Judge the password as the server sees it: "p%40ssword" is
		// "p@ssword".
		pass := s[ps:pe]
		if u, err := url.PathUnescape(pass); err == nil {
			pass = u
		}
		if !plausibleValue(pass, true) {
			continue
		}
		if !sc.add(KindURLPassword, ps, pe) {
			return
		}
		from = pe
	}
}

// authorityEnds end a URL's authority (RFC 3986 §3.2), or the URL itself.
var authorityEnds = newByteSet(" \t\r\n\"'`/?#<>\\")

func authorityEnd(b byte) bool { return authorityEnds[b] }
