package mistral

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
)

func text(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

func user(s string) chat.Message {
	return chat.Message{Role: chat.RoleUser, Content: text(s)}
}

func system(s string) chat.Message {
	return chat.Message{Role: chat.RoleSystem, Content: text(s)}
}

func assistant(s string, calls ...chat.ToolCall) chat.Message {
	m := chat.Message{Role: chat.RoleAssistant, ToolCalls: calls}
	if s != "" {
		m.Content = text(s)
	}
	return m
}

func result(id, s string) chat.Message {
	return chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: text(s)}
}

func call(id, name, args string) chat.ToolCall {
	return chat.ToolCall{ID: id, Name: name, Arguments: args}
}

func ptr[T any](v T) *T { return &v }

// wireJSON sanitizes req for model and returns the body as generic JSON,
// after checking that the fake's rules accept it.
func wireJSON(t *testing.T, req *chat.Request, model string) map[string]any {
	t.Helper()
	w, err := sanitize(req, model)
	if err != nil {
		t.Fatalf("sanitize: %v", err)
	}
	body, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if rej := mistralfake.CheckChatRequest(body); rej != nil {
		t.Fatalf("Mistral's rules refuse the sanitized request: %v\n%s", rej, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wireMsgs(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, v := range m["messages"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func roles(m map[string]any) string {
	var r []string
	for _, msg := range wireMsgs(m) {
		r = append(r, msg["role"].(string))
	}
	return strings.Join(r, ",")
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name  string
		req   *chat.Request
		model string
		check func(t *testing.T, m map[string]any)
	}{
		{
			name: "openai-only-fields-renamed-or-dropped",
			req: &chat.Request{Messages: []chat.Message{user("hi")}, User: "u-1", Seed: ptr[int64](42),
				MaxTokens: 100, Stream: false, Stop: []string{"END", ""}},
			check: func(t *testing.T, m map[string]any) {
				for _, f := range []string{"user", "seed", "max_completion_tokens", "stream_options", "n"} {
					if _, ok := m[f]; ok {
						t.Errorf("%s was sent", f)
					}
				}
				if m["random_seed"] != 42.0 || m["max_tokens"] != 100.0 || m["stream"] != true {
					t.Errorf("random_seed %v max_tokens %v stream %v", m["random_seed"], m["max_tokens"], m["stream"])
				}
				if stop := m["stop"].([]any); len(stop) != 1 || stop[0] != "END" {
					t.Errorf("stop %v", stop)
				}
			},
		},
		{
			name: "negative-seed-folds-to-non-negative",
			req:  &chat.Request{Messages: []chat.Message{user("hi")}, Seed: ptr[int64](-5)},
			check: func(t *testing.T, m map[string]any) {
				if m["random_seed"] != 4.0 {
					t.Errorf("random_seed %v", m["random_seed"])
				}
			},
		},
		{
			name: "temperature-zero-is-sent-and-ranges-clamped",
			req: &chat.Request{Messages: []chat.Message{user("hi")}, Temperature: ptr(0.0), TopP: ptr(1.5),
				PresencePenalty: ptr(-3.0), FrequencyPenalty: ptr(0.5)},
			check: func(t *testing.T, m map[string]any) {
				if v, ok := m["temperature"]; !ok || v != 0.0 {
					t.Errorf("temperature %v (present %v)", v, ok)
				}
				if m["top_p"] != 1.0 || m["presence_penalty"] != -2.0 || m["frequency_penalty"] != 0.5 {
					t.Errorf("top_p %v presence %v frequency %v", m["top_p"], m["presence_penalty"], m["frequency_penalty"])
				}
			},
		},
		{
			name: "temperature-above-mistral-range",
			req:  &chat.Request{Messages: []chat.Message{user("hi")}, Temperature: ptr(2.0)},
			check: func(t *testing.T, m map[string]any) {
				if m["temperature"] != 1.5 {
					t.Errorf("temperature %v", m["temperature"])
				}
			},
		},
		{
			name: "names-dropped-except-on-tool-results",
			req: &chat.Request{Messages: []chat.Message{
				{Role: chat.RoleSystem, Name: "sys", Content: text("be brief")},
				{Role: chat.RoleUser, Name: "alice", Content: text("read it")},
				{Role: chat.RoleAssistant, Name: "bot", ToolCalls: []chat.ToolCall{call("call_1", "read_file", `{"path":"a"}`)}},
				result("call_1", "contents"),
			}},
			check: func(t *testing.T, m map[string]any) {
				ms := wireMsgs(m)
				for _, i := range []int{0, 1, 2} {
					if _, ok := ms[i]["name"]; ok {
						t.Errorf("message %d (%s) has a name", i, ms[i]["role"])
					}
				}
				if ms[3]["name"] != "read_file" {
					t.Errorf("tool result name %v", ms[3]["name"])
				}
			},
		},
		{
			name: "tool-call-ids-rewritten-natives-kept",
			req: &chat.Request{Messages: []chat.Message{
				user("go"),
				assistant("", call("call_abc123", "read_file", `{}`), call("D681PevKs", "list_dir", `{}`)),
				result("D681PevKs", "a b"),
				result("call_abc123", "x"),
			}},
			check: func(t *testing.T, m map[string]any) {
				ms := wireMsgs(m)
				calls := ms[1]["tool_calls"].([]any)
				first := calls[0].(map[string]any)["id"].(string)
				if !mistralID.MatchString(first) || first != hashID("call_abc123", 0) {
					t.Errorf("call_abc123 became %q", first)
				}
				if calls[1].(map[string]any)["id"] != "D681PevKs" {
					t.Errorf("native id changed to %v", calls[1].(map[string]any)["id"])
				}
				if ms[2]["tool_call_id"] != "D681PevKs" || ms[3]["tool_call_id"] != first {
					t.Errorf("results answer %v and %v", ms[2]["tool_call_id"], ms[3]["tool_call_id"])
				}
			},
		},
		{
			name: "calls-and-results-without-ids-pair-by-position",
			req: &chat.Request{Messages: []chat.Message{
				user("go"),
				assistant("", call("", "a", `{}`), call("", "b", `{}`)),
				result("", "ra"),
				result("", "rb"),
			}},
			check: func(t *testing.T, m map[string]any) {
				ms := wireMsgs(m)
				calls := ms[1]["tool_calls"].([]any)
				for i, r := range []map[string]any{ms[2], ms[3]} {
					if r["tool_call_id"] != calls[i].(map[string]any)["id"] || r["name"] != []string{"a", "b"}[i] {
						t.Errorf("result %d: %v", i, r)
					}
				}
			},
		},
		{
			name: "user-after-tool-gets-a-bridge",
			req: &chat.Request{Messages: []chat.Message{
				user("go"), assistant("", call("call_1", "f", `{}`)), result("call_1", "done"), user("now this"),
			}},
			check: func(t *testing.T, m map[string]any) {
				if r := roles(m); r != "user,assistant,tool,assistant,user" {
					t.Errorf("roles %s", r)
				}
				if wireMsgs(m)[3]["content"] != bridgeText {
					t.Errorf("bridge %v", wireMsgs(m)[3])
				}
			},
		},
		{
			name: "system-after-tool-gets-a-bridge",
			req: &chat.Request{Messages: []chat.Message{
				user("go"), assistant("", call("call_1", "f", `{}`)), result("call_1", "done"), system("reminder"), user("next"),
			}},
			check: func(t *testing.T, m map[string]any) {
				if r := roles(m); r != "user,assistant,tool,assistant,user,user" {
					t.Errorf("roles %s", r)
				}
				if wireMsgs(m)[4]["content"] != "reminder" {
					t.Errorf("reminder became %v", wireMsgs(m)[4])
				}
			},
		},
		{
			name: "system-after-assistant-becomes-user-system-after-user-stays",
			req: &chat.Request{Messages: []chat.Message{
				system("rules"), user("a"), system("more rules"), assistant("b"), system("reminder"), system("another"), user("c"),
			}},
			check: func(t *testing.T, m map[string]any) {
				if r := roles(m); r != "system,user,system,assistant,user,system,user" {
					t.Errorf("roles %s", r)
				}
			},
		},
		{
			name: "trailing-assistant-becomes-prefix",
			req:  &chat.Request{Messages: []chat.Message{user("write a haiku"), assistant("Autumn")}},
			check: func(t *testing.T, m map[string]any) {
				ms := wireMsgs(m)
				if ms[1]["prefix"] != true {
					t.Errorf("last %v", ms[1])
				}
			},
		},
		{
			name: "system-parts-stay-apart-images-dropped",
			req: &chat.Request{Messages: []chat.Message{{Role: chat.RoleSystem, Content: []chat.Part{
				{Type: chat.PartText, Text: "You are terse."},
				{Type: chat.PartImage, ImageURL: "https://x/logo.png"},
				{Type: chat.PartText, Text: "Working directory: /src/app"},
			}}, user("hi")}},
			check: func(t *testing.T, m map[string]any) {
				parts := wireMsgs(m)[0]["content"].([]any)
				if len(parts) != 2 || parts[1].(map[string]any)["text"] != "Working directory: /src/app" {
					t.Errorf("system content %v", parts)
				}
			},
		},
		{
			name: "trailing-system-becomes-user",
			req:  &chat.Request{Messages: []chat.Message{user("a"), system("answer in French")}},
			check: func(t *testing.T, m map[string]any) {
				if r := roles(m); r != "user,user" {
					t.Errorf("roles %s", r)
				}
			},
		},
		{
			name: "prefix-only-on-the-last",
			req:  &chat.Request{Messages: []chat.Message{user("a"), assistant("b"), user("c")}},
			check: func(t *testing.T, m map[string]any) {
				if _, ok := wireMsgs(m)[1]["prefix"]; ok {
					t.Error("a middle assistant message has prefix")
				}
			},
		},
		{
			name: "empty-tool-result-gets-placeholder",
			req: &chat.Request{Messages: []chat.Message{
				user("go"), assistant("", call("call_1", "f", `{}`)),
				{Role: chat.RoleTool, ToolCallID: "call_1"},
			}},
			check: func(t *testing.T, m map[string]any) {
				if c := wireMsgs(m)[2]["content"]; c != emptyToolResult {
					t.Errorf("content %v", c)
				}
			},
		},
		{
			name: "empty-assistant-and-system-dropped",
			req: &chat.Request{Messages: []chat.Message{
				system(""), user("a"), {Role: chat.RoleAssistant}, user("b"),
			}},
			check: func(t *testing.T, m map[string]any) {
				if r := roles(m); r != "user,user" {
					t.Errorf("roles %s", r)
				}
			},
		},
		{
			name: "empty-arguments-become-empty-object",
			req: &chat.Request{Messages: []chat.Message{
				user("go"), assistant("", call("call_1", "f", "")), result("call_1", "ok"),
			}},
			check: func(t *testing.T, m map[string]any) {
				fn := wireMsgs(m)[1]["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)
				if fn["arguments"] != "{}" {
					t.Errorf("arguments %v", fn["arguments"])
				}
			},
		},
		{
			name: "assistant-text-and-calls-kept-together",
			req: &chat.Request{Messages: []chat.Message{
				user("go"), assistant("Reading.", call("call_1", "f", `{"a":1}`)), result("call_1", "ok"),
			}},
			check: func(t *testing.T, m map[string]any) {
				a := wireMsgs(m)[1]
				if a["content"] != "Reading." || len(a["tool_calls"].([]any)) != 1 {
					t.Errorf("assistant %v", a)
				}
			},
		},
		{
			name: "images-and-several-parts-as-chunks",
			req: &chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartText, Text: "<reminder>x</reminder>"},
				{Type: chat.PartText, Text: ""},
				{Type: chat.PartText, Text: "what is this?"},
				{Type: chat.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo=", Detail: "low"},
			}}}},
			check: func(t *testing.T, m map[string]any) {
				parts := wireMsgs(m)[0]["content"].([]any)
				if len(parts) != 3 {
					t.Fatalf("parts %v", parts)
				}
				img := parts[2].(map[string]any)
				iu := img["image_url"].(map[string]any)
				if img["type"] != "image_url" || iu["url"] != "data:image/png;base64,iVBORw0KGgo=" || iu["detail"] != "low" {
					t.Errorf("image %v", img)
				}
			},
		},
		{
			name: "tools-choice-and-parallel",
			req: &chat.Request{Messages: []chat.Message{user("go")},
				Tools: []chat.Tool{
					{Name: "read_file", Description: "Read", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`), Strict: true},
					{Name: "now"},
				},
				ToolChoice:        &chat.ToolChoice{Mode: "required"},
				ParallelToolCalls: ptr(false)},
			check: func(t *testing.T, m map[string]any) {
				tools := m["tools"].([]any)
				f0 := tools[0].(map[string]any)["function"].(map[string]any)
				f1 := tools[1].(map[string]any)["function"].(map[string]any)
				if f0["strict"] != true || f0["description"] != "Read" {
					t.Errorf("tool 0 %v", f0)
				}
				if p := f1["parameters"].(map[string]any); p["type"] != "object" {
					t.Errorf("tool 1 parameters %v", p)
				}
				if m["tool_choice"] != "any" || m["parallel_tool_calls"] != false {
					t.Errorf("tool_choice %v parallel %v", m["tool_choice"], m["parallel_tool_calls"])
				}
			},
		},
		{
			name: "tool-choice-function",
			req: &chat.Request{Messages: []chat.Message{user("go")}, Tools: []chat.Tool{{Name: "now"}},
				ToolChoice: &chat.ToolChoice{Mode: "function", Name: "now"}},
			check: func(t *testing.T, m map[string]any) {
				tc := m["tool_choice"].(map[string]any)
				if tc["type"] != "function" || tc["function"].(map[string]any)["name"] != "now" {
					t.Errorf("tool_choice %v", tc)
				}
			},
		},
		{
			name: "tool-choice-without-tools-dropped",
			req: &chat.Request{Messages: []chat.Message{user("go")}, ToolChoice: &chat.ToolChoice{Mode: "none"},
				ParallelToolCalls: ptr(true)},
			check: func(t *testing.T, m map[string]any) {
				if _, ok := m["tool_choice"]; ok {
					t.Error("tool_choice sent without tools")
				}
				if _, ok := m["parallel_tool_calls"]; ok {
					t.Error("parallel_tool_calls sent without tools")
				}
			},
		},
		{
			name: "json-object",
			req:  &chat.Request{Messages: []chat.Message{user("json please")}, ResponseFormat: &chat.ResponseFormat{Type: "json_object"}},
			check: func(t *testing.T, m map[string]any) {
				if rf := m["response_format"].(map[string]any); rf["type"] != "json_object" {
					t.Errorf("response_format %v", rf)
				}
			},
		},
		{
			name: "json-schema",
			req: &chat.Request{Messages: []chat.Message{user("json please")}, ResponseFormat: &chat.ResponseFormat{
				Type: "json_schema", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`), Strict: true}},
			check: func(t *testing.T, m map[string]any) {
				js := m["response_format"].(map[string]any)["json_schema"].(map[string]any)
				if js["name"] != "response" || js["strict"] != true || js["schema"].(map[string]any)["type"] != "object" {
					t.Errorf("json_schema %v", js)
				}
			},
		},
		{
			name: "reasoning-effort-dropped-for-devstral",
			req:  &chat.Request{Messages: []chat.Message{user("think")}, ReasoningEffort: "high"},
			check: func(t *testing.T, m map[string]any) {
				if _, ok := m["reasoning_effort"]; ok {
					t.Error("reasoning_effort sent to devstral")
				}
			},
		},
		{
			name:  "reasoning-effort-mapped-for-medium-3-5",
			req:   &chat.Request{Messages: []chat.Message{user("think")}, ReasoningEffort: "medium"},
			model: "mistral-medium-latest",
			check: func(t *testing.T, m map[string]any) {
				if m["reasoning_effort"] != "high" {
					t.Errorf("reasoning_effort %v", m["reasoning_effort"])
				}
			},
		},
		{
			name:  "reasoning-effort-minimal-is-none",
			req:   &chat.Request{Messages: []chat.Message{user("quick")}, ReasoningEffort: "minimal"},
			model: "mistral-small-latest",
			check: func(t *testing.T, m map[string]any) {
				if m["reasoning_effort"] != "none" {
					t.Errorf("reasoning_effort %v", m["reasoning_effort"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == "" {
				model = "devstral-latest"
			}
			m := wireJSON(t, tt.req, model)
			if m["model"] != model {
				t.Errorf("model %v", m["model"])
			}
			tt.check(t, m)
		})
	}
}

func TestSanitizeRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  *chat.Request
		want string
	}{
		{"no-messages", &chat.Request{}, "no messages"},
		{"nil", nil, "no messages"},
		{"only-empty-messages", &chat.Request{Messages: []chat.Message{system(""), {Role: chat.RoleAssistant}}}, "no message with content"},
		{"bad-tool-name", &chat.Request{Messages: []chat.Message{user("a")}, Tools: []chat.Tool{{Name: "read file"}}}, `named "read file"`},
		{"bad-parameters", &chat.Request{Messages: []chat.Message{user("a")}, Tools: []chat.Tool{{Name: "f", Parameters: json.RawMessage(`[1]`)}}}, "JSON object"},
		{"bad-call-name", &chat.Request{Messages: []chat.Message{user("a"), assistant("", call("c1", "a.b", "{}")), result("c1", "x")}}, `function "a.b"`},
		{"result-for-no-call", &chat.Request{Messages: []chat.Message{user("a"), result("c1", "x")}}, "message 1"},
		{"unanswered-call-mid-conversation", &chat.Request{Messages: []chat.Message{user("a"), assistant("", call("c1", "f", "{}")), user("b")}}, "no tool result"},
		{"ends-on-unanswered-call", &chat.Request{Messages: []chat.Message{user("a"), assistant("", call("c1", "f", "{}"))}}, "no tool result"},
		{"duplicate-call-id", &chat.Request{Messages: []chat.Message{user("a"), assistant("", call("c1", "f", "{}"), call("c1", "g", "{}")), result("c1", "x")}}, "twice"},
		{"single-assistant", &chat.Request{Messages: []chat.Message{assistant("hello")}}, "single assistant"},
		{"unknown-role", &chat.Request{Messages: []chat.Message{{Role: "developer", Content: text("x")}}}, `role "developer"`},
		{"bad-tool-choice", &chat.Request{Messages: []chat.Message{user("a")}, Tools: []chat.Tool{{Name: "f"}}, ToolChoice: &chat.ToolChoice{Mode: "sometimes"}}, "tool_choice"},
		{"schema-not-object", &chat.Request{Messages: []chat.Message{user("a")}, ResponseFormat: &chat.ResponseFormat{Type: "json_schema"}}, "json_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sanitize(tt.req, "devstral-latest")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
