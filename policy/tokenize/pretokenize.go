package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// The qwen2 pre-tokenizer splits text into pieces that BPE then encodes
// one at a time. Its pattern (qwen2Pattern) is
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}
//	| ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//
// matched leftmost-first with backtracking (Oniguruma in Hugging Face,
// regexp2 in Ollama). Go's regexp has no look-ahead, and a scanner is much
// faster, so nextPiece walks the alternatives by hand.
//
// \s is where the engines differ, and this follows Ollama, whose counts
// fill the local window: its engine compiles the pattern with regexp2.RE2
// (tokenizer/bytepairencoding.go NewBytePairEncoding), in which \s is
// RE2's [\t\n\f\r ] (regexp2 syntax/charclass.go re2Space), while Hugging
// Face's is Unicode White_Space. So a no-break space, an ideographic space
// or \v is punctuation here: "a\u00a0's" splits as "a", "\u00a0'", "s".

// class is what the pattern can tell apart about one character.
type class uint8

const (
	classOther   class = iota // none of the below: punctuation, symbols, marks, invalid bytes
	classLetter               // \p{L}
	classNumber               // \p{N}
	classNewline              // \r or \n
	classSpace                // \s other than \r and \n
)

// asciiClass is the class of each ASCII byte, so that the common case needs
// no Unicode table lookup.
var asciiClass = func() [utf8.RuneSelf]class {
	var t [utf8.RuneSelf]class
	for b := range t {
		t[b] = runeClass(rune(b))
	}
	return t
}()

func runeClass(r rune) class {
	switch {
	case r == '\r' || r == '\n':
		return classNewline
	case r == ' ' || r == '\t' || r == '\f':
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

// classAt returns the class and byte width of the character at s[i]. An
// invalid UTF-8 byte is one classOther character: byte-level BPE encodes
// it like any other byte.
func classAt(s string, i int) (class, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w == 1 {
		return classOther, 1
	}
	return runeClass(r), w
}

// nextPiece returns the end of the piece that starts at s[i], i < len(s).
func nextPiece(s string, i int) int {
	c0, w0 := classAt(s, i)

	// 's 't 're 've 'm 'll 'd, any case.
	if s[i] == '\'' && i+1 < len(s) {
		switch s[i+1] | 0x20 {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2]|0x20 == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2]|0x20 == 'l' {
				return i + 3
			}
		}
	}

	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == classLetter {
		return endOf(s, i+w0, classLetter)
	}
	if (c0 == classOther || c0 == classSpace) && i+w0 < len(s) {
		if c1, w1 := classAt(s, i+w0); c1 == classLetter {
			return endOf(s, i+w0+w1, classLetter)
		}
	}

	// \p{N}: one digit at a time.
	if c0 == classNumber {
		return i + w0
	}

	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	j := i
	if s[j] == ' ' {
		j++
	}
	if j < len(s) {
		if c, _ := classAt(s, j); c == classOther {
			return endOf(s, endOf(s, j, classOther), classNewline)
		}
	}

	// Only whitespace is left: c0 is classSpace or classNewline.
	return whitespacePiece(s, i)
}

// whitespacePiece matches \s*[\r\n]+ | \s+(?!\S) | \s+ at s[i].
func whitespacePiece(s string, i int) int {
	end, lastNewline, lastStart, n := i, -1, i, 0
	for end < len(s) {
		c, w := classAt(s, end)
		if c != classSpace && c != classNewline {
			break
		}
		if c == classNewline {
			lastNewline = end + w
		}
		lastStart = end
		end += w
		n++
	}
	switch {
	case lastNewline >= 0:
		// \s*[\r\n]+: backtracking gives back what follows the last newline.
		return lastNewline
	case end == len(s) || n == 1:
		// \s+(?!\S) at the end of text, or \s+ for a lone space before \S.
		return end
	}
	// \s+(?!\S) leaves the last space to join the word that follows.
	return lastStart
}

// endOf returns the end of the run of characters of class c from s[i].
func endOf(s string, i int, c class) int {
	for i < len(s) {
		ci, w := classAt(s, i)
		if ci != c {
			break
		}
		i += w
	}
	return i
}
