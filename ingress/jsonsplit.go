package ingress

import (
	"bytes"

	"github.com/switchyard/switchyard/internal/jsonscan"
)

// Split is a request body cut at its structure: the raw JSON of each
// element of one top-level array member (the conversation's messages),
// and the other members of the top-level object, each from its key's
// opening quote to the end of its value. Nothing in it is decoded or
// checked beyond the structure between the pieces: every piece is still
// to be decoded by encoding/json, which checks it (or was decoded before,
// byte for byte the same).
type Split struct {
	Elements [][]byte
	Members  [][]byte
}

// SplitBody cuts body into a Split at the member named key. ok is false
// for anything but a well-formed top-level object whose key member appears
// once, spelt exactly so, holding a non-empty array of objects, and whose
// other keys are plain ASCII: the caller then decodes the body whole,
// which gives such bodies the same result and every error its message.
// Time is linear in len(body), and most of it is spent in bytes.IndexByte
// looking for the end of strings.
func SplitBody(body []byte, key string) (s Split, ok bool) {
	seen := false
	if !jsonscan.Members(body, func(k []byte, member, from int) int {
		switch {
		case !plainKey(k):
			return -1
		case string(k) == key:
			if seen {
				return -1
			}
			seen = true
			// The array is walked once, cut as it is passed over.
			var to int
			s.Elements, to = splitObjects(body, from)
			return to
		case bytes.EqualFold(k, []byte(key)):
			// encoding/json matches keys without regard to case.
			return -1
		}
		to := jsonscan.SkipValue(body, from)
		if to > from {
			s.Members = append(s.Members, body[member:to])
		}
		return to
	}) || !seen {
		return Split{}, false
	}
	return s, true
}

// splitObjects cuts the JSON array at b[from] whose elements are all
// objects into their raw bytes, and returns where the array ends; -1 for
// anything else, or an empty array.
func splitObjects(b []byte, from int) (elems [][]byte, to int) {
	if from >= len(b) || b[from] != '[' {
		return nil, -1
	}
	i := jsonscan.SkipSpace(b, from+1)
	for {
		if i == len(b) || b[i] != '{' {
			return nil, -1
		}
		start := i
		if i = jsonscan.SkipValue(b, i); i < 0 {
			return nil, -1
		}
		elems = append(elems, b[start:i])
		i = jsonscan.SkipSpace(b, i)
		if i == len(b) {
			return nil, -1
		}
		switch b[i] {
		case ']':
			return elems, i + 1
		case ',':
			i = jsonscan.SkipSpace(b, i+1)
		default:
			return nil, -1
		}
	}
}

// plainKey reports a key that needs no unescaping and that encoding/json's
// case folding treats as ASCII.
func plainKey(k []byte) bool {
	for _, c := range k {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
