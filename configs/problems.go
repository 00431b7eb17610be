package configs

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// Problem is one thing wrong with a configuration, at the path of its key
// ("providers[0].kind").
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Error is a configuration that cannot be used, with every problem found.
type Error struct {
	Source   string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config %s: %d problem", e.Source, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// unknownKeys finds every key of settings that Config does not have, at any
// depth, each at its own path with the keys that are allowed there. It
// walks the settings itself rather than leaving it to mapstructure's
// ErrorUnused, which reports a struct's unknown keys as one string
// ("'providers[0]' has invalid keys: a, b") mixed in with decoding errors.
func unknownKeys(m map[string]any, t reflect.Type, path string) []Problem {
	fields := map[string]reflect.Type{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("mapstructure")
		if key == "" || key == "-" {
			continue
		}
		fields[key] = t.Field(i).Type
		if !isOldName(key) {
			known = append(known, key)
		}
	}
	var out []Problem
	for _, k := range slices.Sorted(maps.Keys(m)) {
		at := join(path, k)
		ft, ok := fields[k]
		if !ok {
			out = append(out, Problem{at, fmt.Sprintf("unknown key (the keys here are %s)", strings.Join(known, ", "))})
			continue
		}
		switch v := m[k].(type) {
		case map[string]any:
			if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)) {
				out = append(out, unknownKeys(v, ft, at)...)
			}
		case []any:
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				for i, el := range v {
					if em, ok := el.(map[string]any); ok {
						out = append(out, unknownKeys(em, ft.Elem(), fmt.Sprintf("%s[%d]", at, i))...)
					}
				}
			}
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeProblems turns mapstructure's error, a tree of joined errors with
// a *mapstructure.DecodeError naming each failed key, into one Problem per
// key.
func decodeProblems(err error) []Problem {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []Problem
		for _, e := range joined.Unwrap() {
			out = append(out, decodeProblems(e)...)
		}
		return out
	}
	var de *mapstructure.DecodeError
	if !errors.As(err, &de) {
		return []Problem{{"(file)", err.Error()}}
	}
	inner := de.Unwrap()
	var nested *mapstructure.DecodeError
	if errors.As(inner, &joined) || errors.As(inner, &nested) {
		return decodeProblems(inner)
	}
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(inner, &pe):
		return []Problem{{de.Name(), fmt.Sprintf("%q is not %s", fmt.Sprint(pe.Value), expected(pe.Expected.Type()))}}
	case errors.As(inner, &ue):
		return []Problem{{de.Name(), fmt.Sprintf("must be %s, not %s", expected(ue.Expected.Type()), given(ue.Value))}}
	}
	return []Problem{{de.Name(), inner.Error()}}
}

// expected says in words what a key of type t holds.
func expected(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(time.Duration(0)):
		return "a duration (90s, 5m, 1h30m)"
	case reflect.TypeOf(ByteSize(0)):
		return "a size (bytes, or 32MiB, 64GiB)"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a map of keys"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return t.String()
}

// given says in words what kind of YAML value v is.
func given(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a map of keys"
	case []any:
		return "a list"
	case string:
		return "the string " + strconv.Quote(v.(string))
	}
	return fmt.Sprintf("%v", v)
}

// durationHook reads a time.Duration from a string, with a message that
// says how to write one (time.ParseDuration's does not).
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(time.Duration(0)) || from.Kind() != reflect.String {
		return data, nil
	}
	d, err := time.ParseDuration(data.(string))
	if err != nil {
		return nil, fmt.Errorf("%q is not %s", data, expected(to))
	}
	return d, nil
}

// merge puts the problems of the stages in one list in the order of the
// keys in the file's structure (Config's field order, list elements by
// index, unknown keys after the known ones of their level), so a
// provider's problems come together. A validation problem at or under a
// key that did not decode is dropped: it describes the zero value decoding
// left, not what the file says.
func merge(decoding, validation []Problem) []Problem {
	out := slices.Clone(decoding)
	for _, v := range validation {
		if !slices.ContainsFunc(decoding, func(d Problem) bool { return within(v.Path, d.Path) }) {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return comparePaths(a.Path, b.Path) })
	return out
}

// within reports whether path is key or below it.
func within(path, key string) bool {
	return path == key || strings.HasPrefix(path, key+".") || strings.HasPrefix(path, key+"[")
}

// comparePaths orders two key paths as their keys come in Config.
func comparePaths(a, b string) int {
	as, bs := splitPath(a), splitPath(b)
	t := reflect.TypeOf(Config{})
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, y := as[i], bs[i]
		if xi, err := strconv.Atoi(x); err == nil {
			if yi, err := strconv.Atoi(y); err == nil && xi != yi {
				return cmp.Compare(xi, yi)
			}
			continue
		}
		if c := cmp.Compare(fieldRank(t, x), fieldRank(t, y)); c != 0 {
			return c
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
		t = fieldType(t, x)
	}
	return cmp.Compare(len(as), len(bs))
}

// splitPath cuts "providers[0].kind" into "providers", "0", "kind".
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
}

// fieldRank is the index of key among t's fields; unknown keys (and a type
// that is not a struct) rank after all of them.
func fieldRank(t reflect.Type, key string) int {
	if t == nil || t.Kind() != reflect.Struct {
		return 1 << 30
	}
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("mapstructure") == key {
			return i
		}
	}
	return t.NumField()
}

// fieldType is the type key holds in t, its element type for a list; nil
// when t has no such key.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("mapstructure") == key {
			if f.Type.Kind() == reflect.Slice {
				return f.Type.Elem()
			}
			return f.Type
		}
	}
	return nil
}
