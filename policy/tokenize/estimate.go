package tokenize

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Estimate returns an upper estimate of the tokens text would cost under
// a byte-level BPE like Qwen's, for when no vocabulary is at hand.
//
// It splits text exactly as the qwen2 pre-tokenizer would (digits, words,
// punctuation runs and whitespace runs each cost what they cost), and for
// each piece takes the mean token count of pieces of its kind, shape and
// length, measured with the real Qwen3 tokenizer over a corpus of Go,
// Python, C, JSON, YAML, Markdown and English, German, Russian, Chinese
// and Japanese prose (estimate_tables.go says which). Text classes differ
// mostly in which pieces they are made of, so a per-piece mean fits code,
// prose, data and blobs alike. The sum is then raised by estimateMargin so
// that it errs high. Added tokens count one each, as BPE counts them.
func Estimate(text string) int {
	if text == "" {
		return 0
	}
	sum := 0.0
	for len(text) > 0 {
		at, l := qwenSpecials.next(text)
		s := text[:at]
		for i := 0; i < len(s); {
			if n, tokens := blobAt(s, i); n > 0 {
				sum += tokens
				i += n
				continue
			}
			j := nextPiece(s, i)
			sum += estimatePiece(s[i:j])
			i = j
		}
		if l > 0 {
			sum++
		}
		text = text[at+l:]
	}
	return int(math.Ceil(sum * estimateMargin))
}

// estimateMargin raises the sum of per-piece means so that the estimate
// is at least the true count on every sample of testdata/samples. Before
// it, the sums range from 0.90 (a README full of URLs and product names
// the vocabulary lacks) to 1.11 (TSX full of camelCase the vocabulary
// knows whole) of the truth; after it, from 1.01 to 1.24.
const estimateMargin = 1.12

// qwenSpecials are Qwen's added tokens; the estimator assumes a Qwen-like
// vocabulary, where these are single tokens.
var qwenSpecials = newSpecials([]string{
	"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
	"<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
	"<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
	"</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
	"<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>",
})

// Blobs: base64 (images, hashes in go.sum and lock files, keys) and hex
// (digests, ids) are split by the pre-tokenizer into short letter runs
// and single digits that tokenize far worse than words of the same shape.
// They are recognised as runs of their alphabet and costed per byte.
const (
	// blobMin is the shortest run taken for a blob: shorter ones are
	// more often identifiers or paths.
	blobMin = 24
	// base64PerByte and hexPerByte are Qwen3 tokens per byte of random
	// base64 and hex, measured by TestBlobRates.
	base64PerByte = 0.76
	hexPerByte    = 0.90
)

// isBase64Byte reports whether c is in the standard or URL-safe base64
// alphabet.
func isBase64Byte(c byte) bool {
	return isASCIILetter(c) || ('0' <= c && c <= '9') || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

// blobAt reports whether a blob starts at s[i] (or at s[i+1], after a
// space or quote that joins it in one piece): its length from i and its
// estimated tokens. It looks only at the start of a run, so that text is
// scanned once.
func blobAt(s string, i int) (int, float64) {
	k := i
	if !isBase64Byte(s[k]) {
		k++
		if k >= len(s) || !isBase64Byte(s[k]) {
			return 0, 0
		}
	}
	if k > 0 && isBase64Byte(s[k-1]) && k == i {
		return 0, 0
	}
	end := k
	var digits, upper, lower, hex, switches int
	for end < len(s) && isBase64Byte(s[end]) {
		c := s[end]
		switch {
		case '0' <= c && c <= '9':
			digits++
			hex++
		case 'A' <= c && c <= 'Z':
			upper++
		case 'a' <= c && c <= 'z':
			lower++
			if c <= 'f' {
				hex++
			}
		}
		if end > k && isASCIILetter(c) && isASCIILetter(s[end-1]) && (c < 'a') != (s[end-1] < 'a') {
			switches++
		}
		end++
	}
	n := end - k
	switch {
	case n < blobMin || digits*10 < n:
		return 0, 0
	case hex == n && digits*4 >= n && lower*6 >= n:
		return end - i, float64(k-i) + float64(n)*hexPerByte
	case upper*6 >= n && lower*6 >= n && switches*5 >= n:
		return end - i, float64(k-i) + float64(n)*base64PerByte
	}
	return 0, 0
}

// pieceKind is what the estimator distinguishes about a piece.
type pieceKind uint8

const (
	kindWordLower pieceKind = iota // ASCII letters, all lower case ("return", " the")
	kindWordTitle                  // one capital then lower case ("Server")
	kindWordUpper                  // ASCII capitals ("HTTP")
	kindWordMixed                  // other ASCII mixes ("ServeHTTP", "iVBORw")
	kindWordCJK                    // Han, kana or Hangul letters
	kindWordOther                  // other letters: accented Latin, Cyrillic, Greek, Arabic…
	kindPunct                      // ASCII punctuation run, maybe after a space and before newlines
	kindSymbol                     // a punctuation run with non-ASCII symbols (emoji, math)
	kindSpace                      // whitespace without a newline
	kindNewline                    // whitespace that ends in a newline
	numKinds
)

// tableLen is how many lengths each kind's table covers: length is in
// letters for words (runes for CJK) and in bytes otherwise. Longer pieces
// extend the last entry at the kind's tail rate.
const tableLen = 24

// lead is what stands before a word in its piece: BPE merges a space
// into most common words for free, while "/", "-" or "." before a word
// usually stays a token of its own.
type lead uint8

const (
	leadNone lead = iota
	leadSpace
	leadOther
	numLeads
)

// classifyPiece returns a piece's kind, what leads it (for words) and its
// length as the tables measure it.
func classifyPiece(p string) (pieceKind, lead, int) {
	c0, w0 := classAt(p, 0)
	switch c0 {
	case classNumber:
		// Only ever one character; the caller never gets here for those.
		return kindSymbol, leadNone, len(p)
	case classSpace, classNewline:
		if c, _ := classAt(p, len(p)-1); c == classNewline {
			return kindNewline, leadNone, len(p)
		}
		if len(p) > w0 {
			if c, _ := classAt(p, w0); c == classLetter {
				break // a space or tab before a word
			}
		}
		return kindSpace, leadNone, len(p)
	case classOther:
		if len(p) > w0 {
			if c, _ := classAt(p, w0); c == classLetter {
				break // punctuation before a word
			}
		}
		for i := 0; i < len(p); i++ {
			if p[i] >= utf8.RuneSelf {
				return kindSymbol, leadNone, len(p)
			}
		}
		return kindPunct, leadNone, len(p)
	}
	// A word, maybe after one leading character.
	switch c0 {
	case classSpace:
		k, n := wordShape(p[w0:])
		return k, leadSpace, n
	case classOther:
		k, n := wordShape(p[w0:])
		return k, leadOther, n
	}
	k, n := wordShape(p)
	return k, leadNone, n
}

// wordShape classifies a run of letters.
func wordShape(w string) (pieceKind, int) {
	upper, lower, nonASCII, cjk, runes := 0, 0, 0, 0, 0
	firstUpper := w[0] >= 'A' && w[0] <= 'Z'
	for _, r := range w {
		runes++
		switch {
		case r >= 'a' && r <= 'z':
			lower++
		case r >= 'A' && r <= 'Z':
			upper++
		default:
			nonASCII++
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
				cjk++
			}
		}
	}
	switch {
	case nonASCII > 0 && cjk == runes:
		return kindWordCJK, runes
	case nonASCII > 0:
		return kindWordOther, len(w)
	case upper == 0:
		return kindWordLower, runes
	case lower == 0:
		return kindWordUpper, runes
	case upper == 1 && firstUpper:
		return kindWordTitle, runes
	}
	return kindWordMixed, runes
}

// estimatePiece returns the mean token count of pieces like p.
func estimatePiece(p string) float64 {
	if len(p) == 1 {
		return 1
	}
	if c, w := classAt(p, 0); c == classNumber && w == len(p) {
		return 1
	}
	k, l, n := classifyPiece(p)
	switch k {
	case kindWordMixed:
		return estimateHumps(p, l)
	case kindSymbol:
		// Emoji and other symbols are mostly a token each (some two), a
		// run of them no cheaper: the table's means come from runs mixing
		// them with ASCII punctuation.
		return max(lookup(k, l, n), float64(utf8.RuneCountInString(p)))
	}
	return lookup(k, l, n)
}

func lookup(k pieceKind, l lead, n int) float64 {
	t := &estimateTables[k][l]
	if n < tableLen {
		return max(t.mean[n], 1)
	}
	return t.mean[tableLen-1] + float64(n-(tableLen-1))*t.tail
}

// estimateHumps estimates a mixed-case ASCII word hump by hump
// ("useLayoutEffect" is "use", "Layout", "Effect"; "HTTPServer" is "HTTP",
// "Server"): BPE vocabularies learn the humps of identifiers as words, and
// a random base64 fragment has many short humps that each cost a token.
func estimateHumps(p string, l lead) float64 {
	start := 0
	for start < len(p) && !isASCIILetter(p[start]) {
		start++
	}
	sum := 0.0
	hl := l
	isUpper := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	for i := start + 1; i <= len(p); i++ {
		split := i == len(p)
		if !split {
			prevUp, up := isUpper(p[i-1]), isUpper(p[i])
			nextLower := i+1 < len(p) && !isUpper(p[i+1])
			split = (!prevUp && up) || (prevUp && up && nextLower && i-start > 1)
		}
		if split {
			k, n := wordShape(p[start:i])
			sum += lookup(k, hl, n)
			start, hl = i, leadNone
		}
	}
	return sum
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
