package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
)

// The types in this file are what a Renderer renders: a chat as the
// template engine of Ollama 0.17.4 hands it to a model's template or to a
// built-in renderer (its api types, api/types.go, after /api/chat decoded
// them). Building one from a request is the caller's business (the Ollama
// adapter's, which sends the same request). Only what rendering reads is
// kept, but what is kept behaves as the engine's data does, since
// templates print it: the same JSON field names and omitempty rules
// (templates print tools with the "json" function), the same String
// methods (templates print values with fmt), insertion-ordered maps where
// the engine keeps insertion order.

// PromptInput is a chat to render.
type PromptInput struct {
	// Messages are the conversation, a model definition's own messages
	// included.
	Messages []PromptMessage
	// Tools are the tools offered, nil for none.
	Tools []PromptTool
	// Think is what templates see as .Think, .ThinkLevel and .IsThinkSet.
	Think Think
}

// PromptMessage is a message. Role is lowercase ("system", "user",
// "assistant", "tool").
type PromptMessage struct {
	Role     string
	Content  string
	Thinking string
	// Images is how many images the message carries. Rendering never
	// reads their bytes; a template sees them as "[img-N]" tags and as
	// .Images, whose length it may print.
	Images     int
	ToolCalls  []PromptToolCall
	ToolName   string
	ToolCallID string
}

// PromptToolCall is a tool call of an assistant message.
type PromptToolCall struct {
	ID       string
	Function PromptCall
}

// PromptCall is the function a tool call names, with its arguments in
// the order they were sent.
type PromptCall struct {
	Index     int
	Name      string
	Arguments *OrderedMap[any]
}

// PromptTool is a tool on offer, as JSON decodes a tool definition into
// it (keywords it has no field for are dropped).
type PromptTool struct {
	Type     string       `json:"type"`
	Items    any          `json:"items,omitempty"`
	Function ToolFunction `json:"function"`
}

// ToolFunction is a tool's function.
type ToolFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  ToolParameters `json:"parameters"`
}

// ToolParameters is a function's parameters schema.
type ToolParameters struct {
	Type       string                    `json:"type"`
	Defs       any                       `json:"$defs,omitempty"`
	Items      any                       `json:"items,omitempty"`
	Required   []string                  `json:"required,omitempty"`
	Properties *OrderedMap[ToolProperty] `json:"properties"`
}

// ToolProperty is a parameter's schema. Templates receive it by value and
// may print its fields or pass it to toTypeScriptType.
type ToolProperty struct {
	AnyOf       []ToolProperty            `json:"anyOf,omitempty"`
	Type        PropertyType              `json:"type,omitempty"`
	Items       any                       `json:"items,omitempty"`
	Description string                    `json:"description,omitempty"`
	Enum        []any                     `json:"enum,omitempty"`
	Properties  *OrderedMap[ToolProperty] `json:"properties,omitempty"`
}

// Think is whether and how the model is to think: unset, on or off, or a
// level ("low", "medium", "high").
type Think struct {
	Set   bool
	On    bool
	Level string // "" for on or off
}

// Bool is what templates see as .Think.
func (t Think) Bool() bool { return t.Set && (t.On || t.Level != "") }

// String is what templates see as .ThinkLevel: the level, "medium" for
// on.
func (t Think) String() string {
	switch {
	case !t.Set:
		return ""
	case t.Level != "":
		return t.Level
	case t.On:
		return "medium"
	}
	return ""
}

// ToTypeScriptType is the property's type as TypeScript writes it, which
// templates reach through the toTypeScriptType function.
func (tp ToolProperty) ToTypeScriptType() string {
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

// typeScriptType maps a JSON Schema type to TypeScript's.
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

// PropertyType is a JSON Schema type: one name or a list.
type PropertyType []string

func (pt *PropertyType) UnmarshalJSON(data []byte) error {
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

func (pt PropertyType) MarshalJSON() ([]byte, error) {
	if len(pt) == 1 {
		return json.Marshal(pt[0])
	}
	return json.Marshal([]string(pt))
}

// String is what a template prints for a property's type.
func (pt PropertyType) String() string {
	switch len(pt) {
	case 0:
		return ""
	case 1:
		return pt[0]
	}
	return fmt.Sprintf("%v", []string(pt))
}

// ErrNotObject is OrderedMap.UnmarshalJSON's error for JSON that is not
// an object.
var ErrNotObject = errors.New("not a JSON object")

// OrderedMap is a JSON object that keeps its keys in the order they
// arrived, as Ollama's internal/orderedmap (over
// github.com/wk8/go-ordered-map/v2) does. Setting a key again keeps its
// first position and takes the last value, as wk8's Set does. The zero
// value is an empty map; a nil *OrderedMap is empty too.
type OrderedMap[V any] struct {
	keys []string
	vals map[string]V
}

// Set sets k to v.
func (m *OrderedMap[V]) Set(k string, v V) {
	if m.vals == nil {
		m.vals = make(map[string]V)
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// All iterates in insertion order.
func (m *OrderedMap[V]) All() iter.Seq2[string, V] {
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
func (m *OrderedMap[V]) toMap() map[string]V {
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
func (m OrderedMap[V]) MarshalJSON() ([]byte, error) {
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
// other JSON kind). wk8 also refuses keys that are not valid UTF-8; JSON
// that Go encoded always has valid ones.
func (m *OrderedMap[V]) UnmarshalJSON(data []byte) error {
	m.keys, m.vals = nil, make(map[string]V)
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return ErrNotObject
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
		m.Set(k, v)
	}
	_, err = d.Token()
	return err
}
