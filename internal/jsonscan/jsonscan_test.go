package jsonscan

import (
	"encoding/json"
	"testing"
)

// FuzzFloat: a number Float reads, encoding/json decodes into a float64
// to the same value, and one json.Unmarshal decodes, Float reads whole.
func FuzzFloat(f *testing.F) {
	for _, s := range []string{`0`, `-0`, `1.5`, `-12.25e-3`, `1E+9`, `1e999`, `01`, `1.`, `.5`, `-`, `1e`, `2.5x`, `0.000001`, `123456789012345678901234567890`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got float64
		p := New(b)
		ok := p.Float(&got) && p.i == len(b)
		var want float64
		err := json.Unmarshal(b, &want)
		isNumber := len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') && b[len(b)-1] > ' '
		switch {
		case ok && (err != nil || got != want):
			t.Fatalf("%q: Float %v, json.Unmarshal %v %v", b, got, want, err)
		case !ok && err == nil && isNumber:
			t.Fatalf("%q: json.Unmarshal read %v, Float did not", b, want)
		}
	})
}
