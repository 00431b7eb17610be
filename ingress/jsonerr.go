package ingress

import (
	"bytes"
	"encoding/json"
	"errors"
)

// JSONError turns encoding/json's error for the member at prefix ("" for
// the body) into a 400 that names the field and what was expected; what
// names the body for people ("the chat completions request").
func JSONError(prefix, what string, err error) *Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		switch {
		case prefix != "" && field != "":
			field = prefix + "." + field
		case prefix != "":
			field = prefix
		}
		if field == "" {
			return BadParam("", "the body must be a JSON object (%s), not %s", what, te.Value)
		}
		return BadParam(field, "%s must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return BadParam(prefix, "the body is not valid JSON (a JSON object, %s, was expected): %v (at byte %d)", what, se, se.Offset)
	}
	return BadParam(prefix, "the body is not valid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "float64", "float32", "int", "int64", "int32":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + k
}

// IsNull reports whether raw is absent or null.
func IsNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// IsObject reports whether raw is a JSON object.
func IsObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// JoinMembers rebuilds a JSON object from members as Split cut them out,
// for a MessageDecoder's DecodeRest to decode.
func JoinMembers(members [][]byte) []byte {
	n := 2
	for _, m := range members {
		n += len(m) + 1
	}
	obj := make([]byte, 0, n)
	obj = append(obj, '{')
	for i, m := range members {
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = append(obj, m...)
	}
	return append(obj, '}')
}

// ToolArguments reads a tool call's arguments as OpenAI's wire forms carry
// them, a string of JSON, and, leniently, an object (some clients send
// one); either way the result is JSON text, "{}" for none. param names the
// field in errors.
func ToolArguments(raw json.RawMessage, param string) (string, *Error) {
	if IsNull(raw) {
		return "{}", nil
	}
	if raw[0] == '{' {
		return string(raw), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", BadParam(param, "%s must be a string of JSON", param)
	}
	if s == "" {
		s = "{}"
	}
	return s, nil
}
