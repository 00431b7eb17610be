package secrets

import "strings"

// Telling generated strings from words: the test every value and token
// body passes before it counts as a credential.

// wordy reports whether v reads as words rather than random characters:
// numbers, single-case words with separators ("db-credentials",
// "SECRET_NAME"), or names made of words and a number ("encryptionKey1024",
// "X-Fake-Connection-Token", "some-k8s-secret-name").
func wordy(v string) bool {
	var lowers, uppers, digits int
	for i := 0; i < len(v); i++ {
		switch c := class[v[i]]; {
		case c&cLower != 0:
			lowers++
		case c&cUpper != 0:
			uppers++
		case c&cDigit != 0:
			digits++
		}
	}
	if lowers+uppers == 0 {
		return true // numbers, dates, punctuation
	}
	if digits == 0 && (lowers == 0 || uppers == 0) {
		return true // single-case words, with or without separators
	}
	return wordShare(v, lowers == 0) >= 0.8
}

// wordShare is the fraction of v's letters and digits that sit in
// word-like pieces. v is cut where the character class changes, except
// that a capital may lead a lower-case run ("Key", and "Server" in
// "HTTPServer"). Word-like pieces are lower-case runs of three or more
// letters with a vowel (capitalised or not), upper-case runs of the same
// kind when v has no lower case at all (SNAKE_CASE), and digit runs when
// there are at most two of them (a version or a year, not random digits).
// Random strings score well under 0.5: their runs are short, and runs of
// consonants ("Xjlp") do not count.
func wordShare(v string, noLower bool) float64 {
	// One pass over the runs, holding back the latest piece until the
	// next one shows whether a capital moves from it or it leads a word.
	type piece struct {
		c      uint8
		n      int
		vowels bool
	}
	wordLike := func(p, next piece) bool {
		switch {
		case p.c == cLower && p.n >= 3 && p.vowels,
			p.c == cUpper && noLower && p.n >= 3 && p.vowels:
			return true
		case p.c == cUpper && p.n >= 2 && next.c == cLower && next.n >= 4 && next.vowels:
			// An acronym leading a capitalised word: "DSAPrivateKey",
			// "HTTPServer".
			return true
		}
		return false
	}
	var held piece
	alnums, words, digits, digitRuns := 0, 0, 0, 0
	for i := 0; i < len(v); {
		c := class[v[i]] & cAlnum
		if c == 0 {
			i++
			continue
		}
		k := run(v, i, c, len(v))
		alnums += k
		cur := piece{c, k, strings.ContainsAny(v[i:i+k], "aeiouyAEIOUY")}
		if c == cLower && i > 0 && class[v[i-1]]&cUpper != 0 {
			// The capital just before this run leads it.
			held.n--
			cur.n++
			cur.vowels = cur.vowels || strings.IndexByte("AEIOUY", v[i-1]) >= 0
		}
		if held.n > 0 && wordLike(held, cur) {
			words += held.n
		}
		if c == cDigit {
			digits += k
			digitRuns++
		}
		held = cur
		i += k
	}
	if alnums == 0 {
		return 1
	}
	if held.n > 0 && wordLike(held, piece{}) {
		words += held.n
	}
	if digitRuns <= 2 {
		words += digits // a version or a year, not random digits
	}
	return float64(words) / float64(alnums)
}

// wordParts reports whether most parts of v between separators are
// dictionary-like: all lower-case (or all upper-case) letters, three or
// more of them.
func wordParts(v string) bool {
	parts, words := 0, 0
	for part := range strings.FieldsFuncSeq(v, func(r rune) bool {
		return r == '-' || r == '_' || r == '.' || r == '/' || r == ':'
	}) {
		parts++
		if len(part) >= 3 && (allClass(part, cLower) || allClass(part, cUpper)) {
			words++
		}
	}
	return parts >= 2 && 2*words >= parts
}

func allClass(s string, c uint8) bool {
	for i := 0; i < len(s); i++ {
		if class[s[i]]&c == 0 {
			return false
		}
	}
	return true
}

// randomish reports whether a vendor token's body looks generated rather
// than typed: enough distinct bytes and not a run of words. It is looser
// than plausibleValue because the vendor prefix already says what it is.
func randomish(body string) bool {
	return distinct(body) >= 8 && !wordParts(body)
}
