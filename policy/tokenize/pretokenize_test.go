package tokenize

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func pieces(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// TestPieces spells out the qwen2 pattern's alternatives, one case each.
func TestPieces(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []string
	}{
		{"contractions", "don't I'M we'LL", []string{"don", "'t", " I", "'M", " we", "'LL"}},
		{"contraction-before-letters", "'sup", []string{"'s", "up"}},
		{"apostrophe-alone", "' 'x", []string{"'", " '", "x"}},
		{"word-with-space", " hello world", []string{" hello", " world"}},
		{"punct-joins-word", ".foo(bar)", []string{".foo", "(bar", ")"}},
		{"two-punct-then-word", "((foo", []string{"((", "foo"}},
		{"tab-joins-word", "\tfoo", []string{"\tfoo"}},
		{"digits-one-by-one", "x2024", []string{"x", "2", "0", "2", "4"}},
		{"space-before-digit", "a 1", []string{"a", " ", "1"}},
		{"punct-keeps-newlines", "});\n\n}", []string{"});\n\n", "}"}},
		{"space-punct", "a = b", []string{"a", " =", " b"}},
		{"indent-before-word", "\n    return", []string{"\n", "   ", " return"}},
		{"spaces-to-newline", "a  \n  \n  b", []string{"a", "  \n  \n", " ", " b"}},
		{"crlf", "a\r\n\r\nb", []string{"a", "\r\n\r\n", "b"}},
		{"trailing-spaces", "a   ", []string{"a", "   "}},
		{"lone-space-before-punct-word", "x  .y", []string{"x", " ", " .", "y"}},
		{"unicode-space", "a\u3000b", []string{"a", "\u3000b"}},
		{"cjk-run", "中文，测试", []string{"中文", "，测试"}},
		{"mark-splits-word", "e\u0301t", []string{"e", "\u0301t"}},
		{"emoji", "ok 🚀🚀!", []string{"ok", " 🚀🚀!"}},
		{"invalid-utf8", "a\xffb\xfe\xfd", []string{"a", "\xffb", "\xfe\xfd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pieces(c.in); !slices.Equal(got, c.want) {
				t.Errorf("pieces(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// FuzzMergeOllamaSpellsBack: whatever the piece, the tokens mergeOllama
// makes spell it back, and a piece that is a token stays one.
func FuzzMergeOllamaSpellsBack(f *testing.F) {
	b := loadQwen3(f)
	for _, s := range []string{"hello", "aaaaaaaaaa", "  \n\n\t", "Supercalifragilistic", "=====", "中文中文", "\"]}}}}}\n", strings.Repeat("ab", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if p == "" {
			return
		}
		ids := b.mergeOllama(p, nil)
		var got strings.Builder
		for _, id := range ids {
			got.Write(b.tokens.bytesOf(id))
		}
		if got.String() != p {
			t.Fatalf("%q: tokens %v spell %q", p, ids, got.String())
		}
		if _, whole := b.tokens.getString(p); whole && len(ids) != 1 {
			t.Fatalf("%q is a token, encoded as %v", p, ids)
		}
	})
}

// FuzzPieces checks that pieces tile the input, and that every piece is
// one the pattern could make: never empty, never splitting a rune.
func FuzzPieces(f *testing.F) {
	for _, s := range []string{"don't", "a  \n b", "x\xff", "中文 🚀", "\r\n\r", "'", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		for _, p := range pieces(s) {
			if p == "" {
				t.Fatalf("empty piece in %q", s)
			}
			if utf8.ValidString(s) && !utf8.ValidString(p) {
				t.Fatalf("piece %q of %q splits a rune", p, s)
			}
			n += len(p)
		}
		if n != len(s) {
			t.Fatalf("pieces of %q cover %d bytes", s, n)
		}
	})
}
