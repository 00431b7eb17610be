package jsonscan

import (
	"encoding/json"
	"testing"
)

// FuzzUnquote: what Unquote accepts, json.Unmarshal decodes to the same
// string, and a string literal json.Unmarshal accepts, Unquote accepts;
// Literal accepts what Unquote does, and SkipStr passes over it.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\nb\t\"c\"\\d\/e\b\f\r"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, "\"\xff\xfe\"", "\"\xe2\x82\"", `"\x"`, `"\u12"`, `"a"b"`, `"tab	x"`, `x`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		got, ok := Unquote(lit)
		if Literal(lit) != ok {
			t.Fatalf("%q: Literal %t, Unquote %t", lit, !ok, ok)
		}
		if p := New(lit); (p.SkipStr() && p.i == len(lit)) != ok {
			t.Fatalf("%q: SkipStr disagrees with Unquote (%t)", lit, ok)
		}
		var want string
		err := json.Unmarshal(lit, &want)
		isString := len(lit) > 0 && lit[0] == '"'
		switch {
		case ok && err != nil:
			t.Fatalf("%q: Unquote accepted %q, json.Unmarshal says %v", lit, got, err)
		case ok && got != want:
			t.Fatalf("%q: Unquote %q, json.Unmarshal %q", lit, got, want)
		case !ok && err == nil && isString && lit[len(lit)-1] == '"':
			t.Fatalf("%q: json.Unmarshal accepted %q, Unquote did not", lit, want)
		}
	})
}
