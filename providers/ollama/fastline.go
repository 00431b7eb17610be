package ollama

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Almost every line of an answer is one token:
//
//	{"model":"…","created_at":"…","message":{"role":"assistant","content":"…"},"done":false}
//
// and the last adds done_reason and the timings; encoding/json spends
// about as long on each as the rest of the relay does. decodeTokenLine
// reads exactly those shapes (any order, with "thinking" too) and nothing
// else: anything it does not know, it leaves to json.Unmarshal, which
// gives every line it accepts the same result (FuzzDecodeTokenLine checks
// it).
func decodeTokenLine(line []byte, r *chatResponse) bool {
	p := tokenLineParser{b: line}
	*r = chatResponse{}
	if !p.object(func(key []byte) bool {
		switch string(key) {
		case "model":
			return p.str(&r.Model)
		case "created_at":
			var s string
			return p.str(&s)
		case "done":
			return p.boolean(&r.Done)
		case "done_reason":
			return p.str(&r.DoneReason)
		case "total_duration":
			return p.integer(&r.TotalDuration)
		case "load_duration":
			return p.integer(&r.LoadDuration)
		case "prompt_eval_duration":
			return p.integer(&r.PromptEvalDuration)
		case "eval_duration":
			return p.integer(&r.EvalDuration)
		case "prompt_eval_count":
			var n int64
			ok := p.integer(&n)
			r.PromptEvalCount = int(n)
			return ok && int64(r.PromptEvalCount) == n
		case "eval_count":
			var n int64
			ok := p.integer(&n)
			r.EvalCount = int(n)
			return ok && int64(r.EvalCount) == n
		case "message":
			// A second "message" goes into the first, as encoding/json
			// decodes it.
			if r.Message == nil {
				r.Message = new(chatMessage)
			}
			m := r.Message
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "role":
					return p.str(&m.Role)
				case "content":
					return p.str(&m.Content)
				case "thinking":
					return p.str(&m.Thinking)
				}
				return false
			})
		}
		return false
	}) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

type tokenLineParser struct {
	b []byte
	i int
}

func (p *tokenLineParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *tokenLineParser) consume(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling member to read each value.
func (p *tokenLineParser) object(member func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		p.space()
		key, ok := p.plainString()
		if !ok || !p.consume(':') {
			return false
		}
		p.space()
		if !member(key) {
			return false
		}
		if p.consume('}') {
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

// plainString reads a string without escapes and returns its bytes.
func (p *tokenLineParser) plainString() ([]byte, bool) {
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

// str reads a JSON string into s. One with escapes is decoded by
// encoding/json, so that every escape means what it means there.
func (p *tokenLineParser) str(s *string) bool {
	start := p.i
	if raw, ok := p.plainString(); ok {
		if !utf8.Valid(raw) {
			return false // encoding/json would replace the invalid bytes
		}
		*s = string(raw)
		return true
	}
	if start >= len(p.b) || p.b[start] != '"' {
		return false
	}
	end := -1
	for j := start + 1; j < len(p.b); j++ {
		if p.b[j] == '\\' {
			j++
			continue
		}
		if p.b[j] == '"' {
			end = j + 1
			break
		}
	}
	if end < 0 || json.Unmarshal(p.b[start:end], s) != nil {
		return false
	}
	p.i = end
	return true
}

func (p *tokenLineParser) boolean(v *bool) bool {
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

// integer reads a JSON integer that fits in an int64: -?(0|[1-9][0-9]*),
// not followed by a fraction or an exponent (which an integer field
// refuses: encoding/json reports those).
func (p *tokenLineParser) integer(v *int64) bool {
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

func isLiteralByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
