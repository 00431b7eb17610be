package mistralfake

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The field lists of Mistral's request schema. Every object in it has
// additionalProperties: false, so a field not listed is a 422
// extra_forbidden. Source: ChatCompletionRequest and the schemas it refers
// to in openapi.yaml of mistralai/platform-docs-public (HEAD 2026-08-21, as
// summarised in shared/research/PROVIDERS.md §7.2; SystemMessage,
// UserMessage, AssistantMessage, ToolMessage, ToolCall, FunctionCall, Tool,
// Function, ToolChoice, ResponseFormat, JsonSchema, ImageURL).
var (
	requestFields = fieldSet("model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop",
		"random_seed", "metadata", "response_format", "tools", "tool_choice", "presence_penalty",
		"frequency_penalty", "n", "prediction", "parallel_tool_calls", "prompt_mode", "reasoning_effort",
		"guardrails", "prompt_cache_key", "safe_prompt")
	messageFields = map[string]map[string]bool{
		"system":    fieldSet("role", "content"),
		"user":      fieldSet("role", "content"),
		"assistant": fieldSet("role", "content", "tool_calls", "prefix"),
		"tool":      fieldSet("role", "content", "tool_call_id", "name"),
	}
	toolCallFields       = fieldSet("id", "type", "function", "index")
	functionCallFields   = fieldSet("name", "arguments")
	toolFields           = fieldSet("type", "function")
	functionFields       = fieldSet("name", "description", "strict", "parameters")
	toolChoiceFields     = fieldSet("type", "function")
	functionNameFields   = fieldSet("name")
	responseFormatFields = fieldSet("type", "json_schema")
	jsonSchemaFields     = fieldSet("name", "description", "schema", "strict")
	imageURLFields       = fieldSet("url", "detail")
)

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// fieldError is one entry of a 422 body's detail list, in the shape FastAPI
// and pydantic give it: {"type":"extra_forbidden","loc":["body","user"],
// "msg":"Extra inputs are not permitted","input":…}
// (zeroclaw-labs/zeroclaw#2693, Gitlawb/openclaude#739; message loc entries
// name the role, ["body","messages",0,"user","name"], as in
// nomtek/mistralai_client_dart#44).
type fieldError struct {
	Type  string          `json:"type"`
	Loc   []any           `json:"loc"`
	Msg   string          `json:"msg"`
	Input json.RawMessage `json:"input,omitempty"`
}

// schemaCheck collects every schema violation of a request, as pydantic
// does, rather than stopping at the first.
type schemaCheck struct {
	errs []fieldError
}

func (c *schemaCheck) add(typ, msg string, input json.RawMessage, loc ...any) {
	c.errs = append(c.errs, fieldError{Type: typ, Loc: append([]any{"body"}, loc...), Msg: msg, Input: input})
}

// object decodes v as a JSON object and reports fields not in allowed.
func (c *schemaCheck) object(v json.RawMessage, allowed map[string]bool, loc ...any) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		c.add("model_type", "Input should be a valid dictionary or object to extract fields from", v, loc...)
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			c.add("extra_forbidden", "Extra inputs are not permitted", m[k], append(loc, k)...)
		}
	}
	return m, true
}

func (c *schemaCheck) required(m map[string]json.RawMessage, field string, obj json.RawMessage, loc ...any) bool {
	if _, ok := m[field]; !ok {
		c.add("missing", "Field required", obj, append(loc, field)...)
		return false
	}
	return true
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

func (c *schemaCheck) str(v json.RawMessage, nullable bool, loc ...any) {
	if nullable && isNull(v) {
		return
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		c.add("string_type", "Input should be a valid string", v, loc...)
	}
}

func (c *schemaCheck) boolean(v json.RawMessage, loc ...any) {
	var b bool
	if json.Unmarshal(v, &b) != nil {
		c.add("bool_type", "Input should be a valid boolean", v, loc...)
	}
}

// number checks a nullable number against [lo, hi].
func (c *schemaCheck) number(v json.RawMessage, lo, hi float64, loc ...any) {
	if isNull(v) {
		return
	}
	var f float64
	if json.Unmarshal(v, &f) != nil {
		c.add("float_type", "Input should be a valid number", v, loc...)
		return
	}
	if f < lo {
		c.add("greater_than_equal", fmt.Sprintf("Input should be greater than or equal to %s", num(lo)), v, loc...)
	}
	if f > hi {
		c.add("less_than_equal", fmt.Sprintf("Input should be less than or equal to %s", num(hi)), v, loc...)
	}
}

// integer checks a nullable integer ≥ lo.
func (c *schemaCheck) integer(v json.RawMessage, lo int64, loc ...any) {
	if isNull(v) {
		return
	}
	var n int64
	if json.Unmarshal(v, &n) != nil {
		c.add("int_type", "Input should be a valid integer", v, loc...)
		return
	}
	if n < lo {
		c.add("greater_than_equal", fmt.Sprintf("Input should be greater than or equal to %d", lo), v, loc...)
	}
}

func (c *schemaCheck) enum(v json.RawMessage, allowed []string, loc ...any) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		for _, a := range allowed {
			if s == a {
				return
			}
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	msg := "Input should be " + strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	c.add("literal_error", msg, v, loc...)
}

func (c *schemaCheck) array(v json.RawMessage, loc ...any) []json.RawMessage {
	var a []json.RawMessage
	if json.Unmarshal(v, &a) != nil {
		c.add("list_type", "Input should be a valid list", v, loc...)
		return nil
	}
	return a
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// checkSchema validates a decoded request body against the schema.
func checkSchema(body map[string]json.RawMessage, raw json.RawMessage) []fieldError {
	c := &schemaCheck{}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !requestFields[k] {
			c.add("extra_forbidden", "Extra inputs are not permitted", body[k], k)
		}
	}
	if c.required(body, "model", raw) {
		c.str(body["model"], false, "model")
	}
	if c.required(body, "messages", raw) {
		for i, m := range c.array(body["messages"], "messages") {
			c.message(m, i)
		}
	}
	if v, ok := body["temperature"]; ok {
		c.number(v, 0, 1.5, "temperature")
	}
	if v, ok := body["top_p"]; ok {
		c.number(v, 0, 1, "top_p")
	}
	for _, f := range []string{"presence_penalty", "frequency_penalty"} {
		if v, ok := body[f]; ok {
			c.number(v, -2, 2, f)
		}
	}
	if v, ok := body["max_tokens"]; ok {
		c.integer(v, 0, "max_tokens")
	}
	if v, ok := body["random_seed"]; ok {
		c.integer(v, 0, "random_seed")
	}
	if v, ok := body["n"]; ok {
		c.integer(v, 1, "n")
	}
	for _, f := range []string{"stream", "parallel_tool_calls", "safe_prompt"} {
		if v, ok := body[f]; ok {
			c.boolean(v, f)
		}
	}
	if v, ok := body["stop"]; ok && !isNull(v) {
		var s string
		var ss []string
		if json.Unmarshal(v, &s) != nil && json.Unmarshal(v, &ss) != nil {
			c.add("string_type", "Input should be a valid string", v, "stop")
		}
	}
	if v, ok := body["reasoning_effort"]; ok && !isNull(v) {
		// ReasoningEffort: "high" or "none" (PROVIDERS.md §7.2).
		c.enum(v, []string{"high", "none"}, "reasoning_effort")
	}
	if v, ok := body["tools"]; ok && !isNull(v) {
		for i, t := range c.array(v, "tools") {
			c.tool(t, i)
		}
	}
	if v, ok := body["tool_choice"]; ok {
		c.toolChoice(v)
	}
	if v, ok := body["response_format"]; ok && !isNull(v) {
		c.responseFormat(v)
	}
	return c.errs
}

var roles = []string{"system", "user", "assistant", "tool"}

func (c *schemaCheck) message(v json.RawMessage, i int) {
	var head struct {
		Role *string `json:"role"`
	}
	if json.Unmarshal(v, &head) != nil {
		c.add("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", v, "messages", i)
		return
	}
	if head.Role == nil {
		c.add("union_tag_not_found", "Unable to extract tag using discriminator 'role'", v, "messages", i)
		return
	}
	role := *head.Role
	allowed, ok := messageFields[role]
	if !ok {
		c.add("union_tag_invalid", fmt.Sprintf("Input tag '%s' found using 'role' does not match any of the expected tags: 'system', 'user', 'assistant', 'tool'", role), v, "messages", i)
		return
	}
	m, ok := c.object(v, allowed, "messages", i, role)
	if !ok {
		return
	}
	// content is required for system, user and tool (nullable for the last
	// two); optional for assistant.
	if role != "assistant" {
		c.required(m, "content", v, "messages", i, role)
	}
	if ct, ok := m["content"]; ok {
		c.content(ct, role == "system", role != "system", "messages", i, role, "content")
	}
	if tc, ok := m["tool_calls"]; ok && !isNull(tc) {
		for j, call := range c.array(tc, "messages", i, role, "tool_calls") {
			c.toolCall(call, "messages", i, role, "tool_calls", j)
		}
	}
	if p, ok := m["prefix"]; ok {
		c.boolean(p, "messages", i, role, "prefix")
	}
	for _, f := range []string{"tool_call_id", "name"} {
		if s, ok := m[f]; ok {
			c.str(s, true, "messages", i, role, f)
		}
	}
}

// content is a string or a list of chunks (ContentChunk; system messages
// take text and thinking chunks only).
func (c *schemaCheck) content(v json.RawMessage, textOnly, nullable bool, loc ...any) {
	if isNull(v) {
		if !nullable {
			c.add("string_type", "Input should be a valid string", v, loc...)
		}
		return
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return
	}
	chunks := c.array(v, loc...)
	for k, ch := range chunks {
		var head struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(ch, &head)
		at := append(append([]any{}, loc...), k)
		switch {
		case head.Type == "text":
			m, ok := c.object(ch, fieldSet("type", "text"), append(at, "text")...)
			if ok && c.required(m, "text", ch, append(at, "text")...) {
				c.str(m["text"], false, append(at, "text", "text")...)
			}
		case head.Type == "image_url" && !textOnly:
			m, ok := c.object(ch, fieldSet("type", "image_url"), append(at, "image_url")...)
			if ok && c.required(m, "image_url", ch, append(at, "image_url")...) {
				var url string
				if json.Unmarshal(m["image_url"], &url) != nil {
					im, ok := c.object(m["image_url"], imageURLFields, append(at, "image_url", "image_url")...)
					if ok && c.required(im, "url", m["image_url"], append(at, "image_url", "image_url")...) {
						c.str(im["url"], false, append(at, "image_url", "image_url", "url")...)
					}
				}
			}
		case head.Type == "thinking" || (!textOnly && (head.Type == "document_url" || head.Type == "reference" || head.Type == "file" || head.Type == "input_audio")):
			// Accepted; switchyard never sends these.
		default:
			c.add("union_tag_invalid", fmt.Sprintf("Input tag '%s' found using 'type' does not match any of the expected tags", head.Type), ch, at...)
		}
	}
}

func (c *schemaCheck) toolCall(v json.RawMessage, loc ...any) {
	m, ok := c.object(v, toolCallFields, loc...)
	if !ok {
		return
	}
	if id, ok := m["id"]; ok {
		c.str(id, false, append(loc, "id")...)
	}
	if t, ok := m["type"]; ok {
		c.enum(t, []string{"function"}, append(loc, "type")...)
	}
	if c.required(m, "function", v, loc...) {
		fm, ok := c.object(m["function"], functionCallFields, append(loc, "function")...)
		if ok {
			if c.required(fm, "name", m["function"], append(loc, "function")...) {
				c.str(fm["name"], false, append(loc, "function", "name")...)
			}
			c.required(fm, "arguments", m["function"], append(loc, "function")...)
		}
	}
}

func (c *schemaCheck) tool(v json.RawMessage, i int) {
	m, ok := c.object(v, toolFields, "tools", i)
	if !ok {
		return
	}
	if t, ok := m["type"]; ok {
		c.enum(t, []string{"function"}, "tools", i, "type")
	}
	if !c.required(m, "function", v, "tools", i) {
		return
	}
	fm, ok := c.object(m["function"], functionFields, "tools", i, "function")
	if !ok {
		return
	}
	if c.required(fm, "name", m["function"], "tools", i, "function") {
		c.str(fm["name"], false, "tools", i, "function", "name")
	}
	if c.required(fm, "parameters", m["function"], "tools", i, "function") {
		var obj map[string]json.RawMessage
		if json.Unmarshal(fm["parameters"], &obj) != nil || obj == nil {
			c.add("dict_type", "Input should be a valid dictionary", fm["parameters"], "tools", i, "function", "parameters")
		}
	}
}

// toolChoice is ToolChoiceEnum (auto, none, any, required) or
// {"type":"function","function":{"name":…}}.
func (c *schemaCheck) toolChoice(v json.RawMessage) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		c.enum(v, []string{"auto", "none", "any", "required"}, "tool_choice")
		return
	}
	m, ok := c.object(v, toolChoiceFields, "tool_choice")
	if !ok {
		return
	}
	if c.required(m, "function", v, "tool_choice") {
		fm, ok := c.object(m["function"], functionNameFields, "tool_choice", "function")
		if ok && c.required(fm, "name", m["function"], "tool_choice", "function") {
			c.str(fm["name"], false, "tool_choice", "function", "name")
		}
	}
}

func (c *schemaCheck) responseFormat(v json.RawMessage) {
	m, ok := c.object(v, responseFormatFields, "response_format")
	if !ok {
		return
	}
	if t, ok := m["type"]; ok {
		c.enum(t, []string{"text", "json_object", "json_schema"}, "response_format", "type")
	}
	if js, ok := m["json_schema"]; ok && !isNull(js) {
		jm, ok := c.object(js, jsonSchemaFields, "response_format", "json_schema")
		if ok {
			c.required(jm, "name", js, "response_format", "json_schema")
			c.required(jm, "schema", js, "response_format", "json_schema")
		}
	}
}
