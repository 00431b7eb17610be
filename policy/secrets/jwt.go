package secrets

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// JSON Web Tokens in compact form: three base64url segments joined by '.',
// the first a JSON object header with an "alg" member (RFC 7515 §7.1, RFC
// 7519 §3). A JWS header is a JSON object, so its base64url begins "eyJ"
// (the encoding of `{"`); that is the anchor.
//
// Unsecured tokens (alg "none", RFC 7519 §6) carry an empty signature and
// prove nothing to a server, so a token needs a signature of at least
// jwtMinSig characters; HS256 gives 43.
const (
	jwtAnchor    = "eyJ"
	jwtMaxHeader = 2048 // base64 bytes; real headers are well under 300
	jwtMaxPart   = 64 << 10
	jwtMinSig    = 16
)

func detectJWT(sc *scanner) {
	s := sc.text
	// Search for the rare 'J' and look back for "ey": one vectorised
	// IndexByte pass, where searching for "eyJ" would stop at every 'e'.
	for from := 2; from < len(s); {
		k := strings.IndexByte(s[from:], 'J')
		if k < 0 {
			return
		}
		start := from + k - 2
		if s[start] != 'e' || s[start+1] != 'y' {
			from = start + 3
			continue
		}
		end, skip := jwtToken(s, start)
		if end < 0 {
			// No token starts inside the base64url run just read:
			// each position there follows a base64url byte.
			from = max(start+len(jwtAnchor), skip)
			continue
		}
		if !sc.add(KindJWT, start, end) {
			return
		}
		from = end
	}
}

// jwtToken returns the end of the JWT starting at i, or -1 and the end of
// the header run it read, where the search may resume.
func jwtToken(s string, i int) (end, skip int) {
	if !startsToken(s, i, cB64URL) || (i > 0 && s[i-1] == '.') {
		return -1, i
	}
	h := run(s, i, cB64URL, jwtMaxHeader+1)
	skip = i + h
	if h > jwtMaxHeader || i+h >= len(s) || s[i+h] != '.' {
		return -1, skip
	}
	if !jwtHeader(s[i : i+h]) {
		return -1, skip
	}
	j := i + h + 1
	p := run(s, j, cB64URL, jwtMaxPart)
	if p < 2 || j+p >= len(s) || s[j+p] != '.' {
		return -1, skip
	}
	j += p + 1
	sig := run(s, j, cB64URL, jwtMaxPart)
	if sig < jwtMinSig {
		return -1, skip
	}
	return j + sig, 0
}

// jwtHeader reports whether seg is base64url of a JSON object with a
// string "alg" member.
func jwtHeader(seg string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	var hdr struct {
		Alg *string `json:"alg"`
	}
	if json.Unmarshal(raw, &hdr) != nil {
		return false
	}
	return hdr.Alg != nil && *hdr.Alg != ""
}
