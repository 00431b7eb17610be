package ollamafake

import (
	"encoding/json"
	"strings"
)

// numKeep is api.DefaultOptions' num_keep: the tokens a context shift or
// truncation always keeps at the start.
const numKeep = 4

// EstimateTokens is the default token count: one token per four bytes,
// rounded up. Crude, but deterministic and in the right range for code and
// English under Qwen's BPE.
func EstimateTokens(s string) int { return (len(s) + 3) / 4 }

// RenderChatML renders a request the way Qwen3's template does, roughly:
// tools in the system turn, tool calls as <tool_call> JSON, tool results as
// <tool_response> in a user turn, and the open assistant turn at the end.
// The fake counts the window in tokens of this text.
func RenderChatML(r *ChatRequest) string {
	var b strings.Builder
	sys, rest := "", r.Messages
	if len(rest) > 0 && rest[0].Role == "system" {
		sys, rest = rest[0].Content, rest[1:]
	}
	if sys != "" || len(r.Tools) > 0 {
		b.WriteString("<|im_start|>system\n")
		b.WriteString(sys)
		if len(r.Tools) > 0 {
			b.WriteString("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n<tools>")
			for _, t := range r.Tools {
				j, _ := json.Marshal(t)
				b.WriteByte('\n')
				b.Write(j)
			}
			b.WriteString("\n</tools>")
		}
		b.WriteString("<|im_end|>\n")
	}
	for _, m := range rest {
		switch m.Role {
		case "tool":
			b.WriteString("<|im_start|>user\n<tool_response>\n")
			b.WriteString(m.Content)
			b.WriteString("\n</tool_response><|im_end|>\n")
		default:
			b.WriteString("<|im_start|>")
			b.WriteString(m.Role)
			b.WriteByte('\n')
			b.WriteString(m.Content)
			for _, tc := range m.ToolCalls {
				b.WriteString("\n<tool_call>\n{\"name\": ")
				n, _ := json.Marshal(tc.Function.Name)
				b.Write(n)
				b.WriteString(", \"arguments\": ")
				a, _ := tc.Function.Arguments.MarshalJSON()
				b.Write(a)
				b.WriteString("}\n</tool_call>")
			}
			b.WriteString("<|im_end|>\n")
		}
	}
	b.WriteString("<|im_start|>assistant\n")
	return b.String()
}

// truncatedPromptTokens is what survives of an over-long prompt when
// truncate is on: since v0.30.11 Ollama emulates the old runner's first
// context shift, keeping num_keep tokens and about half of the rest
// (llm/llama_server.go contextShiftPromptLimit: numCtx - max((numCtx-
// numKeep)/2, 1)); ollama/ollama#17427 measured 65,535+ tokens at num_ctx
// 65536 becoming 32,770.
func truncatedPromptTokens(numCtx int) int {
	return numCtx - max((numCtx-numKeep)/2, 1)
}
