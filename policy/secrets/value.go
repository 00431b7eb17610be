package secrets

import (
	"encoding/base64"
	"math"
	"strings"
)

// Limits on a labelled value. Shorter values are too weak to matter and too
// often words; longer literals are documents, not credentials.
const (
	minValueLen = 8
	maxValueLen = 512
)

// entropy is the Shannon entropy of s in bits per byte. Values are at most
// maxValueLen bytes where it matters, but any length is handled.
func entropy(s string) float64 {
	if len(s) == 0 {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	// Visit each distinct byte once, through s rather than all 256 slots.
	for i := 0; i < len(s); i++ {
		if c := counts[s[i]]; c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
			counts[s[i]] = 0
		}
	}
	return h
}

// minEntropy is the entropy a labelled value of length n must reach. A
// random string cannot exceed log2(n) bits per byte, so short values get a
// lower bar; the steps sit about 0.4 bit under what random alphanumerics of
// that length reach (≈2.9 at 8 bytes, ≈3.7 at 16, ≈3.8 for 32 hex digits)
// and above prose-like values ("some-k8s-secret-name" is 3.35).
func minEntropy(n int) float64 {
	switch {
	case n < 12:
		return 2.5
	case n < 20:
		return 3.0
	default:
		return 3.4
	}
}

// placeholders are substrings (compared in lower case) that mark a value as
// a stand-in rather than a credential: markers no random value holds, and
// words too long to turn up in one by chance.
var placeholders = []string{
	"example", "changeme", "change_me", "change-me", "placeholder",
	"****", "....", "<", ">", "${", "{{", "}}", "%s", "%v", "%(", "$(",
	"redacted", "replace", "process.env", "os.environ", "getenv",
	"secrets.", "vault:", "arn:aws:", "ref+", "undefined",
}

// typedRuns are short words and keyboard or counting runs: what people
// type when a value is needed but not the real one ("your-token",
// "test-key", "sk-abc123", "pass12345"). Unlike a long placeholder word
// they also turn up by chance inside a random password, in some mix of
// cases ("...w65gBHZ6S6B2W9F8S4ASDFpq", "...xNoNe7..."; four given letters
// sit somewhere in one 24-character base-62 password in about 40,000), so a
// run marks a stand-in only when what is left without it is not still a
// credential by itself, or when it stands as a word of its own between
// separators ("sk_test_...", Stripe's test-mode keys, which reach only
// simulated data; "my-dummy-key").
var typedRuns = []string{
	"your", "xxxx", "dummy", "sample", "test", "todo", "fixme", "insert",
	"none", "null", "abc123", "12345", "abcdef", "qwerty", "asdf",
}

// isPlaceholder reports whether v is a template, a reference to something
// else, or a stand-in for a real value.
func isPlaceholder(v string) bool {
	switch v[0] {
	case '$', '%', '@', '!', '&', '*', '#', '{', '[', '(':
		// $VAR, %VAR%, @param, YAML !tag, &anchor, *alias, comments,
		// objects, lists, parenthesised expressions.
		return true
	}
	lv := strings.ToLower(v)
	for _, p := range placeholders {
		if strings.Contains(lv, p) {
			return true
		}
	}
	av := asciiLower(v) // the same length as v, unlike lv
	for _, p := range typedRuns {
		if strings.Contains(av, p) && (standsAlone(av, p) || !randomRest(v, av, p)) {
			return true
		}
	}
	return distinct(v) < 5
}

// asciiLower is s with A-Z in lower case and every other byte as it was.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// standsAlone reports whether p occurs in s with no letter or digit on
// either side.
func standsAlone(s, p string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], p)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(p)
		if (j == 0 || class[s[j-1]]&(cLower|cUpper|cDigit) == 0) && (end == len(s) || class[s[end]]&(cLower|cUpper|cDigit) == 0) {
			return true
		}
		i = j + 1
	}
}

// randomRest reports whether v without the run p (found in lv, v with its
// ASCII letters in lower case) is still long, random and unwordy enough to be a credential.
func randomRest(v, lv, p string) bool {
	var rest strings.Builder
	for {
		i := strings.Index(lv, p)
		if i < 0 {
			break
		}
		rest.WriteString(v[:i])
		v, lv = v[i+len(p):], lv[i+len(p):]
	}
	rest.WriteString(v)
	r := rest.String()
	return len(r) >= minValueLen && !wordy(r) && entropy(r) >= minEntropy(len(r))
}

// distinct counts the different bytes in s.
func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// plausibleValue reports whether v, a value found next to a credential
// label, is a literal credential rather than a name, expression, path,
// template or placeholder. quoted says whether it was a string literal:
// an unquoted value that is a bare identifier is taken for a variable
// unless it looks generated.
func plausibleValue(v string, quoted bool) bool {
	return literalValue(v, quoted) && !encodedText(v)
}

// literalValue is plausibleValue without the look inside base64.
func literalValue(v string, quoted bool) bool {
	if len(v) < minValueLen || len(v) > maxValueLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if is(v[i], cSpace|cQuote) || v[i] == '\\' {
			// Prose, a string we cut wrongly, or escape sequences
			// ("\x1b[32mPASS"): not a typed credential.
			return false
		}
	}
	// Cheap structural tests first; the placeholder list is the costliest
	// and runs only on values that survive the rest.
	if reference(v) {
		return false
	}
	if !quoted {
		if number(v) {
			return false // a numeric literal: 0xc0406618, 1.5e9
		}
		if strings.ContainsAny(v, "()[]{}") {
			return false // a call or an index expression
		}
		if identifier(v) && !generatedIdentifier(v) {
			return false // a variable
		}
	}
	if wordy(v) || entropy(v) < minEntropy(len(v)) {
		return false
	}
	return !isPlaceholder(v)
}

// fileSuffixes end values that name a file holding the secret.
var fileSuffixes = []string{".pem", ".key", ".crt", ".p12", ".pfx", ".json", ".txt", ".yaml", ".yml", ".env", ".gpg", ".asc"}

// reference reports whether v names where a secret lives rather than being
// one: a path, a URL or URN, a key file name.
func reference(v string) bool {
	switch {
	case v[0] == '/', strings.HasPrefix(v, "./"), strings.HasPrefix(v, "../"),
		strings.HasPrefix(v, "~/"), strings.Contains(v, "://"),
		strings.HasPrefix(v, "urn:"), strings.HasPrefix(v, "id_"):
		// id_rsa, id_ed25519: OpenSSH's key file names.
		return true
	}
	for _, suf := range fileSuffixes {
		if len(v) > len(suf) && strings.EqualFold(v[len(v)-len(suf):], suf) {
			return true
		}
	}
	return false
}

// encodedText reports whether v is base64 of printable text that is not
// itself a credential: "dG9rZW4tMQ==" ("token-1") and
// "Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=" ("CLIENT_ID:CLIENT_SECRET") are test
// fixtures, while Basic credentials of a real password ("user:S3cr…")
// still count. A generated secret decodes to binary or does not decode.
func encodedText(v string) bool {
	if len(v)%4 == 1 {
		return false
	}
	// Pick the one encoding the characters allow; most values are not
	// base64 at all and stop here.
	enc := base64.RawStdEncoding
	body := strings.TrimRight(v, "=")
	for i := 0; i < len(body); i++ {
		switch b := body[i]; {
		case b == '-' || b == '_':
			if enc == base64.RawStdEncoding {
				enc = base64.RawURLEncoding
			}
		case b == '+' || b == '/':
			if enc == base64.RawURLEncoding {
				return false
			}
		case !is(b, cAlnum):
			return false
		}
	}
	var buf [maxValueLen]byte
	n, err := enc.Decode(buf[:], []byte(body))
	if err != nil || n == 0 {
		return false
	}
	decoded := buf[:n]
	for _, b := range decoded {
		if b < 0x20 || b > 0x7e {
			return false
		}
	}
	d := string(decoded)
	if i := strings.IndexByte(d, ':'); i >= 0 {
		d = d[i+1:] // user:password: judge the password
	}
	// Decoded fixtures are short and half words ("ckp1-token"); hold
	// them to a stricter word bar than a bare value.
	return !literalValue(d, true) || wordShare(d, strings.ToUpper(d) == d) >= 0.5
}

// number reports whether v is a numeric literal: decimal with optional
// fraction, exponent and digit separators, or 0x/0o/0b-prefixed.
func number(v string) bool {
	if !is(v[0], cDigit) {
		return false
	}
	if len(v) > 2 && v[0] == '0' && strings.IndexByte("xXoObB", v[1]) >= 0 {
		for i := 2; i < len(v); i++ {
			if !is(v[i], cDigit) && strings.IndexByte("abcdefABCDEF_", v[i]) < 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(v); i++ {
		if !is(v[i], cDigit) && strings.IndexByte("._eE+-", v[i]) < 0 {
			return false
		}
	}
	return true
}

// identifier reports whether v has the shape of a name or a dotted
// selector in most languages: [A-Za-z_$][A-Za-z0-9_$]*(\.…)*.
func identifier(v string) bool {
	start := true
	for i := 0; i < len(v); i++ {
		b := v[i]
		switch {
		case b == '.':
			if start {
				return false
			}
			start = true
			continue
		case b == '_' || b == '$' || is(b, cUpper|cLower):
		case is(b, cDigit):
			if start {
				return false
			}
		default:
			return false
		}
		start = false
	}
	return !start
}

// generatedIdentifier reports whether an identifier-shaped value is more
// likely a generated key (an unquoted .env value) than a variable name:
// no dots, long, and switching between upper case, lower case and digits
// far more often than camelCase or SNAKE_CASE names do. Random
// alphanumerics switch class at about 60% of positions, mixed-case letters
// at 50%, hex at 47%, a camelCase name at under 25%. Underscores are
// skipped so that SNAKE_CASE does not count as switching.
func generatedIdentifier(v string) bool {
	if len(v) < 16 || strings.IndexByte(v, '.') >= 0 {
		return false
	}
	alnums, switches := 0, 0
	prev := uint8(0)
	for i := 0; i < len(v); i++ {
		c := class[v[i]] & cAlnum
		if c == 0 {
			continue
		}
		if alnums > 0 && c != prev {
			switches++
		}
		alnums++
		prev = c
	}
	return float64(switches) >= 0.3*float64(alnums)
}
