package jsonscan

import "bytes"

// The Skip functions find where a JSON value ends without decoding it, so
// that a body can be cut at its structure and each piece decoded, or kept
// as it is, on its own.

// SkipSpace returns the index of the first byte at or after i that is not
// JSON space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SkipString returns the index just past the string that starts at b[i]
// (a '"'), or -1 when it does not end.
func SkipString(b []byte, i int) int {
	open := i
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// precede it. Each run of backslashes is looked at once.
		k := i - 1
		for k > open && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}

// SkipValue returns the index just past the JSON value that starts at
// b[i], or -1 when it does not end. It follows strings and nesting only:
// whatever it passes over is checked when decoded.
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			case '"', '{', '[', ':':
				return -1
			}
			i++
		}
		return i
	}
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i = SkipString(b, i); i < 0 {
				return -1
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// Members calls f for each member of the JSON object obj, in order, with
// its key (without the quotes, as written) and where in obj the member
// starts (its key's opening quote) and its value starts. f returns where
// the value ends (SkipValue(obj, from), unless it walks the value itself),
// or -1 to stop. Members reports whether obj is one object of well-formed
// structure (what lies inside a value is not checked) and f never stopped
// it. An empty object has no members.
func Members(obj []byte, f func(key []byte, member, from int) (to int)) bool {
	i := SkipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return false
	}
	i = SkipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return SkipSpace(obj, i+1) == len(obj)
	}
	for {
		if i == len(obj) || obj[i] != '"' {
			return false
		}
		member := i
		if i = SkipString(obj, i); i < 0 {
			return false
		}
		key := obj[member+1 : i-1]
		i = SkipSpace(obj, i)
		if i == len(obj) || obj[i] != ':' {
			return false
		}
		i = SkipSpace(obj, i+1)
		from := i
		if i = f(key, member, from); i <= from {
			return false
		}
		i = SkipSpace(obj, i)
		if i == len(obj) {
			return false
		}
		if obj[i] == '}' {
			return SkipSpace(obj, i+1) == len(obj)
		}
		if obj[i] != ',' {
			return false
		}
		i = SkipSpace(obj, i+1)
	}
}

// ReplaceMember returns obj, a JSON object, with the value of its member
// key replaced by value (raw JSON), or with "key":value added first when
// it has none; every other byte stays as it was. ok is false when obj is
// not an object of well-formed structure, or has key more than once, or a
// key that differs from it only in case (which encoding/json would take
// for it): the caller then decodes and encodes it whole.
func ReplaceMember(obj []byte, key string, value []byte) (out []byte, ok bool) {
	from, to := -1, -1
	if !Members(obj, func(k []byte, _, f int) int {
		t := SkipValue(obj, f)
		switch {
		case string(k) == key:
			if from >= 0 {
				return -1
			}
			from, to = f, t
		case bytes.IndexByte(k, '\\') >= 0 || bytes.EqualFold(k, []byte(key)):
			return -1
		}
		return t
	}) {
		return nil, false
	}
	if from < 0 {
		open := SkipSpace(obj, 0)
		out = make([]byte, 0, len(obj)+len(key)+len(value)+4)
		out = append(out, obj[:open+1]...)
		out = append(out, '"')
		out = append(out, key...)
		out = append(out, '"', ':')
		out = append(out, value...)
		if j := SkipSpace(obj, open+1); obj[j] != '}' {
			out = append(out, ',')
		}
		return append(out, obj[open+1:]...), true
	}
	out = make([]byte, 0, len(obj)-(to-from)+len(value))
	out = append(out, obj[:from]...)
	out = append(out, value...)
	return append(out, obj[to:]...), true
}
