package ollama

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

func ptr[T any](v T) *T { return &v }

// sent sends req through the adapter to the fake and returns the body the
// fake received, as generic JSON.
func sent(t *testing.T, e *env, req *chat.Request) map[string]any {
	t.Helper()
	if _, err := e.chat(t, req); err != nil {
		t.Fatalf("chat: %v", err)
	}
	reqs := e.fake.Requests()
	var body map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestTranslation(t *testing.T) {
	const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	sys := chat.Message{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: "be brief"}}}
	tests := []struct {
		name   string
		req    chat.Request
		thinks bool
		check  map[string]string // JSON path (dot-separated) → compact JSON expected
	}{
		{
			name: "roles-and-text-parts",
			req: chat.Request{Messages: []chat.Message{sys, {Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartText, Text: "line one"}, {Type: chat.PartText, Text: "line two"}}}}},
			check: map[string]string{
				"messages": `[{"content":"be brief","role":"system"},{"content":"line one\nline two","role":"user"}]`,
			},
		},
		{
			name: "image-data-url",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartText, Text: "what is this"}, {Type: chat.PartImage, ImageURL: "data:image/png;base64," + png}}}}},
			check: map[string]string{"messages.0.images": `["` + png + `"]`, "messages.0.content": `"what is this"`},
		},
		{
			name: "unpadded-base64-is-reencoded",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "data:image/png;base64," + strings.TrimRight(png, "=")}}}}},
			check: map[string]string{"messages.0.images": `["` + png + `"]`},
		},
		{
			name: "sampling-options",
			req: chat.Request{Messages: []chat.Message{userText("x")}, Temperature: ptr(0.0), TopP: ptr(0.8),
				PresencePenalty: ptr(0.5), FrequencyPenalty: ptr(-0.5), Seed: ptr(int64(42)), MaxTokens: 1000, Stop: []string{"END", "STOP"}},
			check: map[string]string{
				"options": `{"frequency_penalty":-0.5,"num_ctx":262144,"num_predict":1000,"presence_penalty":0.5,"seed":42,"stop":["END","STOP"],"temperature":0,"top_p":0.8}`,
			},
		},
		{
			name:  "always-stream-no-truncate-no-shift",
			req:   chat.Request{Messages: []chat.Message{userText("x")}},
			check: map[string]string{"stream": `true`, "truncate": `false`, "shift": `false`, "options": `{"num_ctx":262144}`, "model": `"qwen3-coder:30b"`},
		},
		{
			name: "tools",
			req: chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{
				{Name: "read_file", Description: "Read a file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`), Strict: true},
				{Name: "now"}}},
			check: map[string]string{
				"tools": `[{"function":{"description":"Read a file","name":"read_file","parameters":{"properties":{"path":{"type":"string"}},"required":["path"],"type":"object"}},"type":"function"},{"function":{"name":"now"},"type":"function"}]`,
			},
		},
		{
			name:  "tool-choice-none-sends-no-tools",
			req:   chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{{Name: "a"}}, ToolChoice: &chat.ToolChoice{Mode: "none"}},
			check: map[string]string{"tools": `null`},
		},
		{
			name: "tool-choice-function-offers-only-it",
			req: chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{{Name: "a"}, {Name: "b"}},
				ToolChoice: &chat.ToolChoice{Mode: "function", Name: "b"}},
			check: map[string]string{"tools": `[{"function":{"name":"b"},"type":"function"}]`},
		},
		{
			name: "tool-round-trip",
			req: chat.Request{Messages: []chat.Message{
				userText("read a.go and b.go"),
				{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{
					{ID: "call_1", Name: "read_file", Arguments: `{"path": "a.go"}`},
					{ID: "call_2", Name: "grep", Arguments: ``}}},
				{Role: chat.RoleTool, ToolCallID: "call_2", Content: []chat.Part{{Type: chat.PartText, Text: "no match"}}},
				{Role: chat.RoleTool, ToolCallID: "call_1", Content: []chat.Part{{Type: chat.PartText, Text: "package a"}}},
				{Role: chat.RoleTool, ToolCallID: "call_unknown", Name: "legacy", Content: []chat.Part{{Type: chat.PartText, Text: "x"}}},
			}, Tools: []chat.Tool{{Name: "read_file"}, {Name: "grep"}}},
			check: map[string]string{
				"messages.1": `{"content":"","role":"assistant","tool_calls":[{"function":{"arguments":{"path":"a.go"},"name":"read_file"},"id":"call_1"},{"function":{"arguments":{},"index":1,"name":"grep"},"id":"call_2"}]}`,
				"messages.2": `{"content":"no match","role":"tool","tool_call_id":"call_2","tool_name":"grep"}`,
				"messages.3": `{"content":"package a","role":"tool","tool_call_id":"call_1","tool_name":"read_file"}`,
				"messages.4": `{"content":"x","role":"tool","tool_call_id":"call_unknown","tool_name":"legacy"}`,
			},
		},
		{
			name:  "json-object",
			req:   chat.Request{Messages: []chat.Message{userText("x")}, ResponseFormat: &chat.ResponseFormat{Type: "json_object"}},
			check: map[string]string{"format": `"json"`},
		},
		{
			name: "json-schema",
			req: chat.Request{Messages: []chat.Message{userText("x")}, ResponseFormat: &chat.ResponseFormat{Type: "json_schema", Name: "out",
				Schema: json.RawMessage(`{"type":"object","properties":{"ok":{"type":"boolean"}}}`)}},
			check: map[string]string{"format": `{"properties":{"ok":{"type":"boolean"}},"type":"object"}`},
		},
		{
			name:  "text-format-sends-none",
			req:   chat.Request{Messages: []chat.Message{userText("x")}, ResponseFormat: &chat.ResponseFormat{Type: "text"}},
			check: map[string]string{"format": `null`},
		},
		{
			name:  "reasoning-effort-dropped-without-thinking",
			req:   chat.Request{Messages: []chat.Message{userText("x")}, ReasoningEffort: "high"},
			check: map[string]string{"think": `null`},
		},
		{
			// Ollama 0.17.4 takes a level only for the harmony parser's
			// models; a level for any other answers 400.
			name: "reasoning-effort-mapped-with-thinking", thinks: true,
			req:   chat.Request{Messages: []chat.Message{userText("x")}, ReasoningEffort: "minimal"},
			check: map[string]string{"think": `true`},
		},
		{
			name: "reasoning-effort-none-is-false", thinks: true,
			req:   chat.Request{Messages: []chat.Message{userText("x")}, ReasoningEffort: "none"},
			check: map[string]string{"think": `false`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ollamafake.Qwen3Coder30B()
			if tt.thinks {
				m.Capabilities = append(m.Capabilities, "thinking")
			}
			e := newEnv(t, Options{}, ollamafake.Options{Models: []ollamafake.Model{m}})
			body := sent(t, e, &tt.req)
			for path, want := range tt.check {
				var v any = body
				for _, k := range strings.Split(path, ".") {
					switch x := v.(type) {
					case map[string]any:
						v = x[k]
					case []any:
						i := 0
						for _, c := range k {
							i = i*10 + int(c-'0')
						}
						v = x[i]
					}
				}
				if got := jsonOf(v); got != want {
					t.Errorf("%s = %s\n want %s", path, got, want)
				}
			}
		})
	}
}

func TestTranslationErrors(t *testing.T) {
	tests := []struct {
		name    string
		req     chat.Request
		wantMsg string
	}{
		{"no-messages", chat.Request{}, "no messages"},
		{"http-image", chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
			{Type: chat.PartImage, ImageURL: "https://example.com/cat.png"}}}}}, "image URLs cannot be sent to Ollama"},
		{"data-url-not-base64", chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
			{Type: chat.PartImage, ImageURL: "data:text/plain,hello"}}}}}, "must be base64-encoded"},
		{"data-url-bad-base64", chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
			{Type: chat.PartImage, ImageURL: "data:image/png;base64,***"}}}}}, "not hold valid base64"},
		{"invalid-arguments", chat.Request{Messages: []chat.Message{userText("x"), {Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{
			{ID: "call_9", Name: "read_file", Arguments: `{"path": "a.go"`}}}}}, `tool call 0 (read_file, id "call_9") has invalid JSON arguments`},
		{"arguments-not-object", chat.Request{Messages: []chat.Message{userText("x"), {Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{
			{ID: "call_9", Name: "f", Arguments: `[1,2]`}}}}}, "must be a JSON object"},
		{"unknown-role", chat.Request{Messages: []chat.Message{{Role: "wizard"}}}, `unknown role "wizard"`},
		{"tool-choice-missing-function", chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{{Name: "a"}},
			ToolChoice: &chat.ToolChoice{Mode: "function", Name: "b"}}, `names function "b"`},
		{"schema-not-object", chat.Request{Messages: []chat.Message{userText("x")}, ResponseFormat: &chat.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`[1]`)}}, "must be a JSON object"},
		{"unknown-format", chat.Request{Messages: []chat.Message{userText("x")}, ResponseFormat: &chat.ResponseFormat{Type: "xml"}}, `unsupported response_format type "xml"`},
		{"bad-tool-parameters", chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{{Name: "a", Parameters: json.RawMessage(`{`)}}}, "parameters are not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, ollamafake.Options{})
			_, err := e.p.Chat(t.Context(), &tt.req)
			if err == nil {
				t.Fatal("no error")
			}
			if k := kindOf(t, err); k != providers.KindRequest || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %v (kind %v), want request kind containing %q", err, k, tt.wantMsg)
			}
			if n := len(e.fake.ChatRequests()); n != 0 {
				t.Errorf("%d chat requests reached Ollama", n)
			}
		})
	}
	e := newEnv(t, Options{}, ollamafake.Options{})
	if _, err := e.p.Chat(t.Context(), nil); err == nil || kindOf(t, err) != providers.KindRequest {
		t.Errorf("nil request: %v", err)
	}
}

func TestThinkingModelReasoning(t *testing.T) {
	m := ollamafake.Qwen3Coder30B()
	m.Capabilities = append(m.Capabilities, "thinking")
	e := newEnv(t, Options{}, ollamafake.Options{Models: []ollamafake.Model{m}})
	e.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Thinking: "let me see"}, {Content: "yes"}}})
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}, ReasoningEffort: "high"})
	if err != nil {
		t.Fatal(err)
	}
	if chunks[0].Reasoning != "let me see" || chunks[1].Content != "yes" {
		t.Errorf("chunks %+v", chunks)
	}
}

func TestKeepAlive(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"30m", `"30m"`}, {"-1", `-1`}, {"3600", `3600`}, {"", `null`}} {
		e := newEnv(t, Options{KeepAlive: c.in}, ollamafake.Options{})
		if got := jsonOf(sent(t, e, &chat.Request{Messages: []chat.Message{userText("x")}})["keep_alive"]); got != c.want {
			t.Errorf("keep_alive %q sent as %s, want %s", c.in, got, c.want)
		}
	}
}

func TestThinkLevelsOnlyForHarmony(t *testing.T) {
	p := New(Options{})
	cases := []struct {
		effort string
		mode   thinkMode
		want   string
	}{
		{"high", thinkLevels, `"high"`}, {"minimal", thinkLevels, `"low"`}, {"high", thinkOnOff, `true`},
		{"none", thinkOnOff, `false`}, {"none", thinkLevels, `false`}, {"high", thinkNone, ``}, {"", thinkLevels, ``},
	}
	for _, c := range cases {
		got, err := p.translateThink(c.effort, c.mode)
		if err != nil || string(got) != c.want {
			t.Errorf("%q %v: %s %v, want %s", c.effort, c.mode, got, err, c.want)
		}
	}
	if _, err := p.translateThink("extreme", thinkOnOff); err == nil {
		t.Error("unknown effort accepted")
	}
	if thinkModeOf(ModelInfo{Capabilities: []string{"thinking"}, Parser: "harmony"}) != thinkLevels ||
		thinkModeOf(ModelInfo{Capabilities: []string{"thinking"}}) != thinkOnOff || thinkModeOf(ModelInfo{}) != thinkNone {
		t.Error("thinkModeOf")
	}
}
