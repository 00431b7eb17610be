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
	if !jsonscan.Members(body, func(k []byte, member, from, to int) bool {
		switch {
		case !plainKey(k):
			return false
		case string(k) == key:
			if seen {
				return false
			}
			seen = true
			var ok bool
			s.Elements, ok = splitObjects(body[from:to])
			return ok
		case bytes.EqualFold(k, []byte(key)):
			// encoding/json matches keys without regard to case.
			return false
		}
		s.Members = append(s.Members, body[member:to])
		return true
	}) || !seen {
		return Split{}, false
	}
	return s, true
}

// splitObjects cuts a JSON array whose elements are all objects into
// their raw bytes; ok is false for anything else, or an empty array.
func splitObjects(arr []byte) (elems [][]byte, ok bool) {
	if len(arr) == 0 || arr[0] != '[' {
		return nil, false
	}
	i := jsonscan.SkipSpace(arr, 1)
	for {
		if i == len(arr) || arr[i] != '{' {
			return nil, false
		}
		start := i
		if i = jsonscan.SkipValue(arr, i); i < 0 {
			return nil, false
		}
		elems = append(elems, arr[start:i])
		i = jsonscan.SkipSpace(arr, i)
		if i == len(arr) {
			return nil, false
		}
		switch arr[i] {
		case ']':
			return elems, jsonscan.SkipSpace(arr, i+1) == len(arr)
		case ',':
			i = jsonscan.SkipSpace(arr, i+1)
		default:
			return nil, false
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
