package secrets

import "strings"

// Labelled credentials: a name that says "secret" given a literal value, in
// any of the syntaxes a prompt carries code in:
//
//	DB_PASSWORD=…            .env, shell
//	password: …              YAML
//	"api_key": "…"           JSON, Python dicts
//	apiKey := "…"            Go
//	token = '…'              Python, TOML, INI
//	'secret' => '…'          PHP, Ruby
//	Authorization: Bearer …  HTTP headers, curl -H
//
// The anchor is the separator ('=' or ':'), found with strings.IndexByte;
// the name is read backwards from it and the value forwards, each within a
// few dozen bytes.

// labelSuffixes end the names (lower-cased, separators dropped) whose value
// is a credential. "tokenizer" or "max_tokens" do not end in "token", and
// "password_hash" does not end in "password": those are not credentials.
var labelSuffixes = []string{
	"password", "passwd", "passphrase", "secret", "secretkey", "apikey",
	"accesskey", "privatekey", "authkey", "token", "signingkey",
	"encryptionkey", "masterkey", "secretkeybase", "authorization",
}

const (
	maxLabel    = 64 // bytes of name read back from a separator
	maxGap      = 16 // spaces between name, separator and value
	labelBuffer = 24 // normalised bytes kept; the longest suffix is 15
)

func detectAssignments(sc *scanner) {
	s := sc.text
	nextEq, nextColon := -2, -2 // -2: not looked for yet; -1: none left
	for from := 0; from < len(s); {
		if nextEq != -1 && nextEq < from {
			nextEq = indexFrom(s, '=', from)
		}
		if nextColon != -1 && nextColon < from {
			nextColon = indexFrom(s, ':', from)
		}
		p := nextEq
		if p < 0 || (nextColon >= 0 && nextColon < p) {
			p = nextColon
		}
		if p < 0 {
			return
		}
		from = p + 1
		start, end, kind := assignment(s, p)
		if start < 0 {
			continue
		}
		if !sc.add(kind, start, end) {
			return
		}
		from = max(from, end)
	}
}

func indexFrom(s string, b byte, from int) int {
	k := strings.IndexByte(s[from:], b)
	if k < 0 {
		return -1
	}
	return from + k
}

// assignment examines the separator at p and returns the byte range and
// kind of a credential assigned there, or start < 0.
func assignment(s string, p int) (start, end int, kind string) {
	nameEnd, valStart, ok := separator(s, p)
	if !ok {
		return -1, -1, ""
	}
	label, ok := labelBefore(s, nameEnd)
	if !ok {
		return -1, -1, ""
	}
	if label == "authorization" {
		return authorizationValue(s, valStart)
	}
	vs, ve, quoted := valueAfter(s, valStart)
	if vs < 0 {
		return -1, -1, ""
	}
	if s[p] == ':' && !quoted && vs == valStart {
		// "key:value" with no space is not a YAML mapping; it is a
		// field list ("name:password:GID"), a time or a JS shorthand.
		return -1, -1, ""
	}
	v := s[vs:ve]
	if awsSecretLabel(label) && len(v) == 40 && allClass(v, cB64) && distinct(v) >= 10 {
		// aws_secret_access_key: 40 base64 characters. Source: AWS STS
		// API reference (example wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).
		return vs, ve, KindAWSSecretKey
	}
	if !plausibleValue(v, quoted) {
		return -1, -1, ""
	}
	return vs, ve, KindAssignment
}

// separator decides whether the '=' or ':' at p assigns, and returns where
// the name before it ends and where the value after it may start.
func separator(s string, p int) (nameEnd, valStart int, ok bool) {
	next := byte(0)
	if p+1 < len(s) {
		next = s[p+1]
	}
	prev := byte(0)
	if p > 0 {
		prev = s[p-1]
	}
	if s[p] == ':' {
		if next == ':' || prev == ':' || next == '=' {
			return 0, 0, false // C++/Rust paths; ":=" is taken at its '='
		}
		return p, p + 1, true
	}
	switch {
	case next == '=':
		return 0, 0, false // ==, comparison
	case next == '>':
		return p, p + 2, true // PHP/Ruby =>
	case prev == ':':
		return p - 1, p + 1, true // Go :=
	case prev != 0 && strings.IndexByte("!<>=+-*/%&|^~", prev) >= 0:
		return 0, 0, false // comparisons and compound assignment
	}
	return p, p + 1, true
}

// labelBefore reads the name that ends at end (skipping spaces, a TS '?'
// and a closing quote, JSON-escaped or not) and returns the credential
// suffix it ends with.
func labelBefore(s string, end int) (string, bool) {
	i := end
	for gap := 0; i > 0 && gap < maxGap && (s[i-1] == ' ' || s[i-1] == '\t'); gap++ {
		i--
	}
	if i > 0 && s[i-1] == '?' {
		i--
	}
	if i > 0 && is(s[i-1], cQuote) {
		i--
		if i > 0 && s[i-1] == '\\' {
			i--
		}
	}
	// Quick reject: every suffix ends in one of these letters.
	if i == 0 || strings.IndexByte("dtyneDTYNE", s[i-1]) < 0 {
		return passLabel(s, i)
	}
	var buf [labelBuffer]byte
	n := 0
name:
	for j := i - 1; j >= 0 && i-j <= maxLabel && n < labelBuffer; j-- {
		switch b := s[j]; {
		case is(b, cAlnum):
			buf[labelBuffer-1-n] = lower(b)
			n++
		case b == '_' || b == '-' || b == '.':
		default:
			break name
		}
	}
	norm := string(buf[labelBuffer-n:])
	for _, suf := range labelSuffixes {
		if strings.HasSuffix(norm, suf) {
			return suf, true
		}
	}
	return "", false
}

// passLabel accepts names ending in a separate word "pass" (DB_PASS,
// smtp-pass, pass), which would otherwise match "bypass" and "compass".
func passLabel(s string, i int) (string, bool) {
	if i < 4 || !strings.EqualFold(s[i-4:i], "pass") {
		return "", false
	}
	if i == 4 || !is(s[i-5], cAlnum) {
		return "pass", true
	}
	return "", false
}

func awsSecretLabel(label string) bool {
	return label == "accesskey" || label == "secretkey"
}

// valueAfter finds the value that starts at or after i: a quoted string on
// the same line (plain, JSON-escaped \"…\", or Python-prefixed b'…' r"…"),
// or an unquoted run up to a delimiter. It returns its range without quotes.
func valueAfter(s string, i int) (start, end int, quoted bool) {
	for gap := 0; i < len(s) && gap < maxGap && (s[i] == ' ' || s[i] == '\t'); gap++ {
		i++
	}
	if i >= len(s) {
		return -1, -1, false
	}
	if i+1 < len(s) && strings.IndexByte("bBrRuU", s[i]) >= 0 && is(s[i+1], cQuote) {
		i++ // Python string prefix
	}
	closing := ""
	switch {
	case is(s[i], cQuote):
		closing = s[i : i+1]
		i++
	case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
		closing = `\"`
		i += 2
	}
	if closing != "" {
		limit := min(len(s), i+maxValueLen+len(closing))
		k := strings.Index(s[i:limit], closing)
		if k < 0 {
			return -1, -1, false
		}
		return i, i + k, true
	}
	j := i
	for j < len(s) && j-i <= maxValueLen && !unquotedEnd(s[j]) {
		j++
	}
	if strings.HasSuffix(s[i:j], "...") || strings.HasPrefix(s[j:], "…") {
		return -1, -1, false // an elided example: "oauth_token=234lsdkf...."
	}
	for j > i && strings.IndexByte(".:", s[j-1]) >= 0 {
		j-- // sentence punctuation after a value in prose
	}
	if j == i {
		return -1, -1, false
	}
	return i, j, false
}

// unquotedEnd reports whether b ends an unquoted value: whitespace, quotes,
// list and argument punctuation, '&' between query parameters, and the
// backslash that starts an escape in JSON-in-JSON.
func unquotedEnd(b byte) bool { return unquotedEnds[b] }

var unquotedEnds = newByteSet(" \t\r\n\"'`,;)]}&\\")

// authorizationValue reads an HTTP Authorization value after its label:
// an optional scheme ("Bearer", "Basic", "Token") and the credential,
// quoted together ("Authorization": "Bearer …") or not (curl -H).
// Source: RFC 9110 §11.6.2 (credentials = auth-scheme [ token68 ]).
func authorizationValue(s string, i int) (start, end int, kind string) {
	vs, ve, quoted := valueAfter(s, i)
	if vs < 0 {
		return -1, -1, ""
	}
	if sp := strings.IndexByte(s[vs:ve], ' '); quoted && sp >= 0 {
		if !authScheme(s[vs : vs+sp]) {
			return -1, -1, ""
		}
		vs += sp
		for vs < ve && s[vs] == ' ' {
			vs++
		}
	} else if !quoted && authScheme(s[vs:ve]) {
		if vs, ve, quoted = valueAfter(s, ve); vs < 0 {
			return -1, -1, ""
		}
	}
	if !plausibleValue(s[vs:ve], quoted) {
		return -1, -1, ""
	}
	return vs, ve, KindAssignment
}

func authScheme(w string) bool {
	switch strings.ToLower(w) {
	case "bearer", "basic", "token", "apikey", "key":
		return true
	}
	return false
}
