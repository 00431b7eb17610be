package main

import (
	"encoding/json"
	mrand "math/rand/v2"
	"strings"
)

var privWritesGemini = privMounts("gemini")

// privGemini rewrites a job the proof built as OpenAI chat completions
// into the Gemini API request Gemini CLI would send for the same
// conversation, and the path it goes to (the model and the method are in
// it): the system prompt as systemInstruction, text as text parts, an
// assistant turn as a model content with functionCall parts (id, name,
// args as an object), the tool results after it as one user content of
// functionResponse parts ({"output": text}), tools as
// functionDeclarations with a hosted googleSearch beside them sometimes;
// streamed as server-sent events or, sometimes, the JSON array form.
// maxOutputTokens is the job's max_tokens, so the routing is the same. ok
// is false for a job Gemini's path cannot name (a model id with a slash),
// which stays in chat completions.
func privGemini(rng *mrand.Rand, openAIBody []byte) (body []byte, path string, ok bool) {
	in := privParseChat(openAIBody)
	if strings.Contains(in.Model, "/") {
		return nil, "", false
	}
	type obj map[string]any
	texts := func(c any) []obj {
		if s, ok := c.(string); ok {
			return []obj{{"text": s}}
		}
		var out []obj
		for _, p := range c.([]any) { // [{type:text,text}]
			out = append(out, obj{"text": p.(map[string]any)["text"]})
		}
		return out
	}
	out := obj{}
	var system []obj
	var contents []obj
	names := map[string]string{}
	var results []obj
	flush := func() {
		if results != nil {
			contents = append(contents, obj{"role": "user", "parts": results})
			results = nil
		}
	}
	for _, m := range in.Messages {
		if m.Role != "tool" {
			flush()
		}
		switch m.Role {
		case "system":
			system = append(system, texts(m.Content)...)
		case "user":
			contents = append(contents, obj{"role": "user", "parts": texts(m.Content)})
		case "assistant":
			var parts []obj
			if s, ok := m.Content.(string); ok && s != "" {
				parts = append(parts, obj{"text": s})
			}
			for _, c := range m.ToolCalls {
				var args map[string]any
				if err := json.Unmarshal([]byte(c.Function.Arguments), &args); err != nil {
					return nil, "", false
				}
				names[c.ID] = c.Function.Name
				parts = append(parts, obj{"functionCall": obj{"id": c.ID, "name": c.Function.Name, "args": args}})
			}
			if parts == nil {
				parts = []obj{{"text": ""}}
			}
			contents = append(contents, obj{"role": "model", "parts": parts})
		case "tool":
			var text strings.Builder
			for _, p := range texts(m.Content) {
				text.WriteString(p["text"].(string))
			}
			results = append(results, obj{"functionResponse": obj{"id": m.ToolCallID, "name": names[m.ToolCallID], "response": obj{"output": text.String()}}})
		}
	}
	flush()
	if system != nil {
		out["systemInstruction"] = obj{"parts": system}
	}
	out["contents"] = contents
	var decls []obj
	for _, t := range in.Tools {
		decls = append(decls, obj{"name": t.Function.Name, "description": t.Function.Description, "parametersJsonSchema": t.Function.Parameters})
	}
	var tools []obj
	if decls != nil {
		tools = append(tools, obj{"functionDeclarations": decls})
	}
	if rng.IntN(2) == 0 {
		tools = append(tools, obj{"googleSearch": obj{}})
	}
	if tools != nil {
		out["tools"] = tools
	}
	if in.Max > 0 {
		out["generationConfig"] = obj{"maxOutputTokens": in.Max}
	}
	path = "/v1beta/models/" + in.Model + ":generateContent"
	if in.Stream {
		path = "/v1beta/models/" + in.Model + ":streamGenerateContent?alt=sse"
		if rng.IntN(4) == 0 {
			path = "/v1beta/models/" + in.Model + ":streamGenerateContent"
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b, path, true
}
