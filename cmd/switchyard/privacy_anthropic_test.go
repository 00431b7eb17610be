package main

import (
	"encoding/json"
	mrand "math/rand/v2"
	"strings"
)

// privWritesAnthropic is whether the daemon mounts the Anthropic dialect:
// then a quarter of the proof's jobs are written in it.
var privWritesAnthropic = privMounts("anthropic")

// privAnthropic rewrites a job the proof built as OpenAI chat completions
// into the Anthropic Messages request Claude Code would send for the same
// conversation, so every guarantee is proven for both dialects from one
// generator: the system prompt as a string or text blocks, or (as Claude
// Code does with its environment block) a role "system" entry inside
// messages; text as a string or blocks; tool calls as tool_use blocks with
// toolu_ ids and object inputs; consecutive tool results as one user
// message of tool_result blocks; tools with input_schema. max_tokens is
// required there: the job's own, else MinAnswerTokens, which is what the
// decision assumes of a job without one, so the routing is the same.
func privAnthropic(rng *mrand.Rand, openAIBody []byte) []byte {
	in := privParseChat(openAIBody)
	type block map[string]any
	text := func(c any) any {
		s, ok := c.(string)
		if !ok { // already parts: [{type:text,text}]
			var out []block
			for _, p := range c.([]any) {
				out = append(out, block{"type": "text", "text": p.(map[string]any)["text"]})
			}
			return out
		}
		if rng.IntN(2) == 0 {
			return []block{{"type": "text", "text": s}}
		}
		return s
	}
	toolID := func(id string) string { return "toolu_" + strings.TrimPrefix(id, "call_") }
	out := map[string]any{"model": in.Model, "max_tokens": 1024}
	if in.Max > 0 {
		out["max_tokens"] = in.Max
	}
	if in.Stream {
		out["stream"] = true
	}
	var msgs []any
	var results []block
	flush := func() {
		if len(results) > 0 {
			msgs = append(msgs, map[string]any{"role": "user", "content": results})
			results = nil
		}
	}
	for i, m := range in.Messages {
		if m.Role != "tool" {
			flush()
		}
		switch m.Role {
		case "system":
			if i == 0 && rng.IntN(3) != 0 {
				out["system"] = text(m.Content)
			} else {
				msgs = append(msgs, map[string]any{"role": "system", "content": m.Content})
			}
		case "user":
			msgs = append(msgs, map[string]any{"role": "user", "content": text(m.Content)})
		case "assistant":
			var content []block
			if s, ok := m.Content.(string); ok && s != "" {
				content = append(content, block{"type": "text", "text": s})
			}
			for _, c := range m.ToolCalls {
				var input map[string]any
				json.Unmarshal([]byte(c.Function.Arguments), &input)
				content = append(content, block{"type": "tool_use", "id": toolID(c.ID), "name": c.Function.Name, "input": input})
			}
			msgs = append(msgs, map[string]any{"role": "assistant", "content": content})
		case "tool":
			results = append(results, block{"type": "tool_result", "tool_use_id": toolID(m.ToolCallID), "content": text(m.Content)})
		}
	}
	flush()
	out["messages"] = msgs
	var tools []block
	for _, t := range in.Tools {
		tools = append(tools, block{"name": t.Function.Name, "description": t.Function.Description, "input_schema": t.Function.Parameters})
	}
	out["tools"] = tools
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

// privWireTool is an OpenAI tool definition as the proof writes it.
