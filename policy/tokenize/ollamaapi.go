package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
)

// The types in this file are Ollama 0.17.4's api types (api/types.go) as its
// prompt renderers see them: what /api/chat decoded from the body
// switchyard's Ollama adapter sent. Only what rendering reads is kept, but
// what is kept behaves as Ollama's does: the same JSON field names and
// omitempty rules (templates print tools with the "json" function), the same
// String methods (templates print values with fmt), insertion-ordered maps
// where Ollama keeps insertion order (internal/orderedmap, over
// github.com/wk8/go-ordered-map/v2).

// apiMessage is api.Message.
type apiMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []imageData
	ToolCalls  []apiToolCall
	ToolName   string
	ToolCallID string
}

// imageData is api.ImageData. Rendering never reads the bytes, only whether
// there are images, so the adapter's images are represented by empty ones.
type imageData []byte

// apiToolCall is api.ToolCall.
type apiToolCall struct {
	ID       string
	Function apiToolCallFunction
}

// apiToolCallFunction is api.ToolCallFunction.
type apiToolCallFunction struct {
	Index     int
	Name      string
	Arguments *orderedMap[any]
}

// apiTool is api.Tool.
type apiTool struct {
	Type     string          `json:"type"`
	Items    any             `json:"items,omitempty"`
	Function apiToolFunction `json:"function"`
}

// apiToolFunction is api.ToolFunction.
type apiToolFunction struct {
	Name        string                    `json:"name"`
	Description string                    `json:"description,omitempty"`
	Parameters  apiToolFunctionParameters `json:"parameters"`
}

// apiToolFunctionParameters is api.ToolFunctionParameters.
type apiToolFunctionParameters struct {
	Type       string                    `json:"type"`
	Defs       any                       `json:"$defs,omitempty"`
	Items      any                       `json:"items,omitempty"`
	Required   []string                  `json:"required,omitempty"`
	Properties *orderedMap[toolProperty] `json:"properties"`
}

// toolProperty is api.ToolProperty. Templates receive it by value and may
// print its fields or pass it to toTypeScriptType.
type toolProperty struct {
	AnyOf       []toolProperty            `json:"anyOf,omitempty"`
	Type        propertyType              `json:"type,omitempty"`
	Items       any                       `json:"items,omitempty"`
	Description string                    `json:"description,omitempty"`
	Enum        []any                     `json:"enum,omitempty"`
	Properties  *orderedMap[toolProperty] `json:"properties,omitempty"`
}

// ToTypeScriptType is api.ToolProperty.ToTypeScriptType, which templates
// reach through the toTypeScriptType function.
func (tp toolProperty) ToTypeScriptType() string {
	if len(tp.AnyOf) > 0 {
		var types []string
		for _, a := range tp.AnyOf {
			types = append(types, a.ToTypeScriptType())
		}
		return strings.Join(types, " | ")
	}
	switch len(tp.Type) {
	case 0:
		return "any"
	case 1:
		return typeScriptType(tp.Type[0])
	}
	var types []string
	for _, t := range tp.Type {
		types = append(types, typeScriptType(t))
	}
	return strings.Join(types, " | ")
}

// typeScriptType is api's mapToTypeScriptType.
func typeScriptType(jsonType string) string {
	switch jsonType {
	case "string":
		return "string"
	case "number", "integer":
		return "number"
	case "boolean":
		return "boolean"
	case "array":
		return "any[]"
	case "object":
		return "Record<string, any>"
	case "null":
		return "null"
	}
	return "any"
}

// propertyType is api.PropertyType: a JSON Schema type, one name or a list.
type propertyType []string

func (pt *propertyType) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*pt = []string{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	*pt = a
	return nil
}

func (pt propertyType) MarshalJSON() ([]byte, error) {
	if len(pt) == 1 {
		return json.Marshal(pt[0])
	}
	return json.Marshal([]string(pt))
}

// String is what a template prints for a property's type.
func (pt propertyType) String() string {
	switch len(pt) {
	case 0:
		return ""
	case 1:
		return pt[0]
	}
	return fmt.Sprintf("%v", []string(pt))
}

// orderedMap is internal/orderedmap.Map[string, V]: a JSON object that
// keeps its keys in the order they arrived. Setting a key again keeps its
// first position and takes the last value, as wk8's Set does.
type orderedMap[V any] struct {
	keys []string
	vals map[string]V
}

func (m *orderedMap[V]) set(k string, v V) {
	if m.vals == nil {
		m.vals = make(map[string]V)
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// all iterates in insertion order; a nil map is empty.
func (m *orderedMap[V]) all() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		if m == nil {
			return
		}
		for _, k := range m.keys {
			if !yield(k, m.vals[k]) {
				return
			}
		}
	}
}

// toMap is ToMap: a plain map, nil for a nil ordered map. json.Marshal of
// the result sorts the keys, which is how Ollama's templates see them.
func (m *orderedMap[V]) toMap() map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m.keys))
	for _, k := range m.keys {
		out[k] = m.vals[k]
	}
	return out
}

// MarshalJSON writes the keys in insertion order, each value as
// json.Marshal writes it (wk8's MarshalJSON).
func (m orderedMap[V]) MarshalJSON() ([]byte, error) {
	if m.vals == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object member by member, each value with
// json.Unmarshal into V, as wk8's UnmarshalJSON does over
// buger/jsonparser's ObjectEach (which unescapes keys and refuses any
// other JSON kind). wk8 also refuses keys that are not valid UTF-8; the
// adapter's body is Go-encoded JSON, whose strings always are.
func (m *orderedMap[V]) UnmarshalJSON(data []byte) error {
	m.keys, m.vals = nil, make(map[string]V)
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return err
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		var v V
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		m.set(k, v)
	}
	_, err = d.Token()
	return err
}
