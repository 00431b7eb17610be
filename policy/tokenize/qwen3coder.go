package tokenize

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// This file ports Ollama 0.17.4's built-in "qwen3-coder" renderer
// (model/renderers/qwen3coder.go), which Qwen3-Coder's library models name
// in /api/show "renderer" instead of shipping a template. It writes tools
// and tool calls as XML, takes no notice of think, and does not merge
// consecutive messages of one role.

const (
	qwen3CoderDefaultSystem = "You are Qwen, a helpful AI assistant that can interact with a computer to solve tasks."
	qwen3CoderToolsIntro    = "\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>"
	qwen3CoderToolsOutro    = "\n</tools>\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n" +
		"<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n" +
		"<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n</parameter>\n" +
		"</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n" +
		"- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n" +
		"- Required parameters MUST be specified\n" +
		"- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n" +
		"- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n" +
		"</IMPORTANT>"
)

// renderQwen3Coder is Qwen3CoderRenderer.Render.
func renderQwen3Coder(b *promptBuffer, in *PromptInput) {
	messages, tools := in.Messages, in.Tools
	// The first system message wins; the others are dropped.
	var system string
	filtered := make([]PromptMessage, 0, len(messages))
	for _, m := range messages {
		if m.Role != "system" {
			filtered = append(filtered, m)
			continue
		}
		if system == "" {
			system = m.Content
		}
	}

	if system != "" || len(tools) > 0 {
		b.WriteString(imStart + "system\n")
		if system == "" {
			system = qwen3CoderDefaultSystem
		}
		b.WriteString(system)
		if len(tools) > 0 {
			b.WriteString(qwen3CoderToolsIntro)
			for i := range tools {
				writeQwen3CoderTool(b, &tools[i])
			}
			b.WriteString(qwen3CoderToolsOutro)
		}
		b.WriteString(imEnd + "\n")
	}

	for i, m := range filtered {
		last := i == len(filtered)-1
		prefill := last && m.Role == "assistant"
		switch m.Role {
		case "assistant":
			b.WriteString(imStart + "assistant\n")
			if len(m.ToolCalls) > 0 {
				if m.Content != "" {
					b.WriteString(m.Content)
					b.WriteString("\n")
				}
				for _, tc := range m.ToolCalls {
					writeAll(b, "\n<tool_call>\n<function=", tc.Function.Name, ">")
					for name, v := range tc.Function.Arguments.All() {
						writeAll(b, "\n<parameter=", name, ">\n", qwen3CoderArgument(v), "\n</parameter>")
					}
					b.WriteString("\n</function>\n</tool_call>")
				}
				// Closed even as the last message, and no generation
				// prompt follows then: Ollama's own quirk.
				b.WriteString(imEnd + "\n")
			} else {
				b.WriteString(m.Content)
				if !prefill {
					b.WriteString(imEnd + "\n")
				}
			}
		case "tool":
			// Consecutive tool results share one user turn.
			if i == 0 || filtered[i-1].Role != "tool" {
				b.WriteString(imStart + "user")
			}
			writeAll(b, "\n<tool_response>\n", m.Content, "\n</tool_response>")
			if last || filtered[i+1].Role != "tool" {
				b.WriteString(imEnd + "\n")
			}
		default:
			writeAll(b, imStart, m.Role, "\n", m.Content, imEnd, "\n")
		}
		if last && !prefill {
			b.WriteString(imStart + "assistant\n")
		}
	}
}

func writeQwen3CoderTool(b *promptBuffer, t *PromptTool) {
	f := &t.Function
	b.WriteString("\n<function>\n<name>" + f.Name + "</name>")
	if f.Description != "" {
		b.WriteString("\n<description>" + f.Description + "</description>")
	}
	b.WriteString("\n<parameters>")
	for name, p := range f.Parameters.Properties.All() {
		b.WriteString("\n<parameter>\n<name>" + name + "</name>")
		if len(p.Type) > 0 {
			b.WriteString("\n<type>" + qwen3CoderType(p.Type) + "</type>")
		}
		if p.Description != "" {
			b.WriteString("\n<description>" + p.Description + "</description>")
		}
		writeAdditionalKeys(b, p, "type", "description")
		b.WriteString("\n</parameter>")
	}
	writeAdditionalKeys(b, f.Parameters, "type", "properties")
	b.WriteString("\n</parameters>\n</function>")
}

// writeAdditionalKeys is renderAdditionalKeys: every JSON field of obj but
// the handled ones, as "\n<key>value</key>", objects and arrays as compact
// JSON, null skipped, anything else with %v.
//
// Ollama ranges over a Go map here, so its key order is random; this port
// sorts the keys. The count does not depend on the order: every element
// starts with "\n<" after a '>' and ends with '>', and the qwen2
// pre-tokenizer always splits there into ">\n" and "<name", so no token
// spans two elements whatever their order.
func writeAdditionalKeys(b *promptBuffer, obj any, handled ...string) {
	data, err := json.Marshal(obj)
	if err != nil {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(handled, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case map[string]any, []any:
			js, _ := json.Marshal(v)
			b.WriteString("\n<" + k + ">" + string(js) + "</" + k + ">")
		case nil:
		default:
			b.WriteString("\n<" + k + ">" + fmt.Sprintf("%v", v) + "</" + k + ">")
		}
	}
}

// qwen3CoderType is formatToolDefinitionType.
func qwen3CoderType(t PropertyType) string {
	switch len(t) {
	case 0:
		return "[]"
	case 1:
		return t[0]
	}
	js, err := json.Marshal(t)
	if err != nil {
		return "[]"
	}
	return string(js)
}

// qwen3CoderArgument is formatToolCallArgument: strings bare, objects and
// arrays as compact JSON, anything else with %v (so 1e6 prints "1e+06").
func qwen3CoderArgument(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case []byte:
		return string(v)
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
		if js, err := json.Marshal(v); err == nil {
			return string(js)
		}
	}
	return fmt.Sprintf("%v", v)
}

// writeAll writes the strings in turn, without concatenating them first:
// a message's content can be megabytes.
func writeAll(b *promptBuffer, ss ...string) {
	for _, s := range ss {
		b.WriteString(s)
	}
}
