package main

import (
	"encoding/json"
	mrand "math/rand/v2"
)

// privWritesResponses is whether the daemon mounts the Responses dialect:
// then a quarter of the proof's jobs are written in it.
var privWritesResponses = privMounts("openai-responses")

// privResponses rewrites a job the proof built as OpenAI chat completions
// into the Responses request Codex would send for the same conversation:
// the first system message as instructions or as a developer item (as
// Codex sends its own), text as a string or input_text parts, an
// assistant turn as a message item and one function_call item per call,
// each tool result as a function_call_output item, tools flat with a
// hosted web_search beside them; store false. max_output_tokens is the
// job's max_tokens, so the routing is the same.
func privResponses(rng *mrand.Rand, openAIBody []byte) []byte {
	in := privParseChat(openAIBody)
	type obj map[string]any
	parts := func(c any, typ string) any {
		s, ok := c.(string)
		if !ok { // already parts: [{type:text,text}]
			var out []obj
			for _, p := range c.([]any) {
				out = append(out, obj{"type": typ, "text": p.(map[string]any)["text"]})
			}
			return out
		}
		if rng.IntN(2) == 0 {
			return []obj{{"type": typ, "text": s}}
		}
		return s
	}
	out := obj{"model": in.Model, "store": false}
	if in.Max > 0 {
		out["max_output_tokens"] = in.Max
	}
	if in.Stream {
		out["stream"] = true
	}
	var items []obj
	for i, m := range in.Messages {
		switch m.Role {
		case "system":
			if s, ok := m.Content.(string); ok && i == 0 && rng.IntN(2) == 0 {
				out["instructions"] = s
			} else {
				items = append(items, obj{"type": "message", "role": "developer", "content": parts(m.Content, "input_text")})
			}
		case "user":
			items = append(items, obj{"type": "message", "role": "user", "content": parts(m.Content, "input_text")})
		case "assistant":
			if s, ok := m.Content.(string); ok && s != "" {
				items = append(items, obj{"type": "message", "role": "assistant", "content": []obj{{"type": "output_text", "text": s}}})
			}
			for _, c := range m.ToolCalls {
				items = append(items, obj{"type": "function_call", "call_id": c.ID, "name": c.Function.Name, "arguments": c.Function.Arguments})
			}
		case "tool":
			s, ok := m.Content.(string)
			if !ok {
				items = append(items, obj{"type": "function_call_output", "call_id": m.ToolCallID, "output": parts(m.Content, "input_text")})
				continue
			}
			items = append(items, obj{"type": "function_call_output", "call_id": m.ToolCallID, "output": s})
		}
	}
	out["input"] = items
	var tools []obj
	for _, t := range in.Tools {
		tools = append(tools, obj{"type": "function", "name": t.Function.Name, "description": t.Function.Description, "parameters": t.Function.Parameters})
	}
	if rng.IntN(2) == 0 {
		tools = append(tools, obj{"type": "web_search"})
	}
	out["tools"] = tools
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}
