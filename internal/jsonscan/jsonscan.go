// Package jsonscan reads JSON where encoding/json would cost more than the
// rest of the work: Parser reads the few shapes that make up almost every
// line of a streamed answer (a token's chunk) without reflection, and the
// Skip functions find where a value ends without decoding it (to cut a
// request at its messages, or to replace one member of a megabyte body).
// Anything it does not know it refuses, and the caller decodes that value
// with encoding/json; each use has a fuzz target that checks it gives
// every value it accepts encoding/json's result.
package jsonscan

import (
	"strconv"
)

// Parser reads one JSON value from b, strictly: each method reads one
// thing and reports false for anything else, and a caller that gets false
// decodes the whole value with encoding/json instead.
type Parser struct {
	b []byte
	i int
}

// New returns a Parser of b.
func New(b []byte) *Parser { return &Parser{b: b} }

// Offset is how far into its value the parser has read.
func (p *Parser) Offset() int { return p.i }

// End reports whether only space is left.
func (p *Parser) End() bool {
	p.Space()
	return p.i == len(p.b)
}

func (p *Parser) Space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *Parser) Consume(c byte) bool {
	p.Space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// Object reads {"key": value, ...}, calling member to read each value.
func (p *Parser) Object(member func(key []byte) bool) bool {
	if !p.Consume('{') {
		return false
	}
	if p.Consume('}') {
		return true
	}
	for {
		p.Space()
		key, ok := p.plainString()
		if !ok || !p.Consume(':') {
			return false
		}
		p.Space()
		if !member(key) {
			return false
		}
		if p.Consume('}') {
			return true
		}
		if !p.Consume(',') {
			return false
		}
	}
}

// plainString reads a string without escapes and returns its bytes.
func (p *Parser) plainString() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return p.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// Str reads a JSON string into s, as encoding/json decodes it (Unquote).
func (p *Parser) Str(s *string) bool {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	end := SkipString(p.b, p.i)
	if end < 0 {
		return false
	}
	v, ok := Unquote(p.b[p.i:end])
	if !ok {
		return false
	}
	*s, p.i = v, end
	return true
}

// StrKnown reads a JSON string into s as Str does, but a string that is
// known's bytes, without escapes, becomes known itself and costs no
// allocation: for a value every line repeats (a model's name, a role).
// known must be valid UTF-8 (a string Unquote returned is), so that equal
// bytes are the string encoding/json would decode.
func (p *Parser) StrKnown(s *string, known string) bool {
	start := p.i
	if b, ok := p.plainString(); ok && string(b) == known {
		*s = known
		return true
	}
	p.i = start
	return p.Str(s)
}

// SkipStr passes over a string Str would read, without decoding it: for
// a member the caller does not keep, which then costs no allocation.
func (p *Parser) SkipStr() bool {
	if p.SkipPlainString() {
		return true
	}
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	end := SkipString(p.b, p.i)
	if end < 0 || !Literal(p.b[p.i:end]) {
		return false
	}
	p.i = end
	return true
}

// SkipStrOrNull passes over a string, as SkipStr, or null.
func (p *Parser) SkipStrOrNull() bool { return p.Null() || p.SkipStr() }

// SkipPlainString passes over a string without escapes or control bytes,
// for a member the caller does not keep; any other string is refused.
func (p *Parser) SkipPlainString() bool {
	_, ok := p.plainString()
	return ok
}

func (p *Parser) Bool(v *bool) bool {
	rest := p.b[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*v, p.i = true, p.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*v, p.i = false, p.i+5
	default:
		return false
	}
	return p.i == len(p.b) || !isLiteralByte(p.b[p.i])
}

// Int reads a JSON integer that fits in an int64: -?(0|[1-9][0-9]*),
// not followed by a fraction or an exponent (which an integer field
// refuses: encoding/json reports those).
func (p *Parser) Int(v *int64) bool {
	start := p.i
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	if j == digits || (p.b[digits] == '0' && j > digits+1) {
		return false
	}
	if j < len(p.b) && (p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(p.b[start:j]), 10, 64)
	if err != nil {
		return false
	}
	*v, p.i = n, j
	return true
}

// Float reads a JSON number, as encoding/json decodes one into a float64:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, within float64's range.
func (p *Parser) Float(v *float64) bool {
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	digits := func() bool {
		k := j
		for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
			j++
		}
		return j > k
	}
	start := j
	if !digits() || p.b[start] == '0' && j > start+1 {
		return false
	}
	if j < len(p.b) && p.b[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(p.b) && (p.b[j] == 'e' || p.b[j] == 'E') {
		j++
		if j < len(p.b) && (p.b[j] == '+' || p.b[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	f, err := strconv.ParseFloat(string(p.b[p.i:j]), 64)
	if err != nil {
		return false
	}
	*v, p.i = f, j
	return true
}

func isLiteralByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Null reads null, which leaves a field as it was (as encoding/json does).
func (p *Parser) Null() bool {
	rest := p.b[p.i:]
	if len(rest) < 4 || string(rest[:4]) != "null" {
		return false
	}
	p.i += 4
	return p.i == len(p.b) || !isLiteralByte(p.b[p.i])
}

// StrOrNull reads a string into s, or null.
func (p *Parser) StrOrNull(s *string) bool { return p.Null() || p.Str(s) }

// Array reads [value, ...], calling elem to read each value.
func (p *Parser) Array(elem func() bool) bool {
	if !p.Consume('[') {
		return false
	}
	if p.Consume(']') {
		return true
	}
	for {
		p.Space()
		if !elem() {
			return false
		}
		if p.Consume(']') {
			return true
		}
		if !p.Consume(',') {
			return false
		}
	}
}
