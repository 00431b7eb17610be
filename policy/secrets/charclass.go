package secrets

// Byte classes, looked up in one table so the hot loops stay branch-light.
const (
	cLower uint8 = 1 << iota
	cUpper
	cDigit
	cPlusSlash  // '+' and '/': standard base64
	cDashUnder  // '-' and '_': base64url, identifiers
	cSpace      // ' ', '\t', '\r', '\n'
	cQuote      // '"', '\'', '`'
	cAlnum      = cLower | cUpper | cDigit
	cB64URL     = cAlnum | cDashUnder
	cB64        = cAlnum | cPlusSlash
	cUpperDigit = cUpper | cDigit
)

var class = func() (t [256]uint8) {
	for b := 'a'; b <= 'z'; b++ {
		t[b] = cLower
	}
	for b := 'A'; b <= 'Z'; b++ {
		t[b] = cUpper
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = cDigit
	}
	t['+'], t['/'] = cPlusSlash, cPlusSlash
	t['-'], t['_'] = cDashUnder, cDashUnder
	t[' '], t['\t'], t['\r'], t['\n'] = cSpace, cSpace, cSpace, cSpace
	t['"'], t['\''], t['`'] = cQuote, cQuote, cQuote
	return t
}()

// byteSet is a set of bytes, for delimiter tests in hot loops.
type byteSet [256]bool

func newByteSet(chars string) (s byteSet) {
	for i := 0; i < len(chars); i++ {
		s[chars[i]] = true
	}
	return s
}

func is(b byte, c uint8) bool { return class[b]&c != 0 }

// run returns how many bytes of s from i on are in class c, counting at
// most max of them.
func run(s string, i int, c uint8, max int) int {
	n := 0
	for i+n < len(s) && n < max && class[s[i+n]]&c != 0 {
		n++
	}
	return n
}

// startsToken reports whether position i is not in the middle of a word of
// class c: the byte before it, if any, is outside c.
func startsToken(s string, i int, c uint8) bool {
	return i == 0 || class[s[i-1]]&c == 0
}

// endsToken reports whether position i ends a word of class c.
func endsToken(s string, i int, c uint8) bool {
	return i >= len(s) || class[s[i]]&c == 0
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
