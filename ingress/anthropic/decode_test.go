package anthropic

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

func text(s string) chat.Part { return chat.Part{Type: chat.PartText, Text: s} }

func decodeBody(t *testing.T, body string) *chat.Request {
	t.Helper()
	req, err := Dialect{}.Decode(httptest.NewRequest("POST", "/v1/messages", nil), []byte(body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return req.Chat
}

func ptr[T any](v T) *T { return &v }

func TestDecode(t *testing.T) {
	const head = `{"model":"auto","max_tokens":100,`
	for _, c := range []struct {
		name string
		body string
		want chat.Request
	}{
		{name: "string-content", body: head + `"messages":[{"role":"user","content":"hi"}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{text("hi")}}}}},
		{name: "system-string", body: head + `"system":"be brief","messages":[{"role":"user","content":"hi"}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{
				{Role: chat.RoleSystem, Content: []chat.Part{text("be brief")}},
				{Role: chat.RoleUser, Content: []chat.Part{text("hi")}}}}},
		{name: "system-blocks-billing-dropped", body: head + `"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=1.2.3; cc_entrypoint=cli;"},{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b"}],"messages":[{"role":"user","content":"hi"}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{
				{Role: chat.RoleSystem, Content: []chat.Part{text("a"), text("b")}},
				{Role: chat.RoleUser, Content: []chat.Part{text("hi")}}}}},
		{name: "role-system-in-messages", body: head + `"messages":[{"role":"user","content":"hi"},{"role":"system","content":[{"type":"text","text":"# Environment"}]},{"role":"user","content":"go"}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{
				{Role: chat.RoleUser, Content: []chat.Part{text("hi")}},
				{Role: chat.RoleSystem, Content: []chat.Part{text("# Environment")}},
				{Role: chat.RoleUser, Content: []chat.Part{text("go")}}}}},
		{name: "images", body: head + `"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}},{"type":"text","text":"what?"}]}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "data:image/png;base64,AAAA"}, {Type: chat.PartImage, ImageURL: "https://x/y.png"}, text("what?")}}}}},
		{name: "text-documents", body: head + `"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}},{"type":"document","source":{"type":"content","content":[{"type":"text","text":"c1"}]}}]}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{text("doc"), text("c1")}}}}},
		{name: "tool-round-trip", body: head + `"messages":[{"role":"user","content":"list"},` +
			`{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig1"},{"type":"redacted_thinking","data":"enc"},{"type":"text","text":"running"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{ "command" : "ls" }},{"type":"tool_use","id":"toolu_2","name":"Read","input":{}}]},` +
			`{"role":"user","content":[{"type":"text","text":"before"},{"type":"tool_result","tool_use_id":"toolu_1","content":"a b","is_error":false,"cache_control":{"type":"ephemeral"}},{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"denied"}],"is_error":true},{"type":"text","text":"after"}]}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{
				{Role: chat.RoleUser, Content: []chat.Part{text("list")}},
				{Role: chat.RoleAssistant, Content: []chat.Part{text("running")},
					ToolCalls: []chat.ToolCall{{ID: "toolu_1", Name: "Bash", Arguments: `{"command":"ls"}`}, {ID: "toolu_2", Name: "Read", Arguments: `{}`}},
					Reasoning: []chat.Reasoning{{Text: "hmm", Signature: "sig1"}, {Redacted: "enc"}}},
				{Role: chat.RoleTool, ToolCallID: "toolu_1", Content: []chat.Part{text("a b")}},
				{Role: chat.RoleTool, ToolCallID: "toolu_2", ToolError: true, Content: []chat.Part{text("denied")}},
				{Role: chat.RoleUser, Content: []chat.Part{text("before"), text("after")}}}}},
		{name: "tool-result-only", body: head + `"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t"}]}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{{Role: chat.RoleTool, ToolCallID: "t", Content: []chat.Part{}}}}},
		{name: "assistant-tool-only", body: head + `"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":[1, 2]}}]}]}`,
			want: chat.Request{Model: "auto", MaxTokens: 100, Messages: []chat.Message{{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "t", Name: "f", Arguments: `{"a":[1,2]}`}}}}}},
		{name: "fields", body: `{"model":"claude-sonnet-4-5","max_tokens":5,"stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":40,"stream":true,"metadata":{"user_id":"u1"},` +
			`"tools":[{"name":"f","description":"d","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"},"defer_loading":true},{"type":"custom","name":"g"}],` +
			`"tool_choice":{"type":"any","disable_parallel_tool_use":true},"thinking":{"type":"enabled","budget_tokens":31999},` +
			`"context_management":{"edits":[]},"service_tier":"auto","container":"c","mcp_servers":[],"betas":["x"],"messages":[{"role":"user","content":"hi"}]}`,
			want: chat.Request{Model: "claude-sonnet-4-5", MaxTokens: 5, Stop: []string{"END"}, Temperature: ptr(0.5), TopP: ptr(0.9), TopK: ptr(40), Stream: true, User: "u1",
				Tools:      []chat.Tool{{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`)}, {Name: "g"}},
				ToolChoice: &chat.ToolChoice{Mode: "required"}, ParallelToolCalls: ptr(false), ReasoningEffort: "high",
				Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{text("hi")}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := decodeBody(t, c.body)
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}

func TestDecodeChoicesAndThinking(t *testing.T) {
	for _, c := range []struct {
		name, member string
		choice       *chat.ToolChoice
		effort       string
	}{
		{"auto", `"tool_choice":{"type":"auto"}`, &chat.ToolChoice{Mode: "auto"}, ""},
		{"none", `"tool_choice":{"type":"none"}`, &chat.ToolChoice{Mode: "none"}, ""},
		{"tool", `"tool_choice":{"type":"tool","name":"Bash"}`, &chat.ToolChoice{Mode: "function", Name: "Bash"}, ""},
		{"disabled", `"thinking":{"type":"disabled"}`, nil, "none"},
		{"budget-low", `"thinking":{"type":"enabled","budget_tokens":4000}`, nil, "low"},
		{"budget-medium", `"thinking":{"type":"enabled","budget_tokens":10000}`, nil, "medium"},
		{"budget-high", `"thinking":{"type":"enabled","budget_tokens":16385}`, nil, "high"},
		{"adaptive", `"thinking":{"type":"adaptive","display":"omitted"}`, nil, "medium"},
		{"adaptive-effort", `"thinking":{"type":"adaptive"},"output_config":{"effort":"high"}`, nil, "high"},
		{"adaptive-max", `"thinking":{"type":"adaptive"},"output_config":{"effort":"max"}`, nil, "high"},
		{"newer-type", `"thinking":{"type":"something-new"}`, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := decodeBody(t, `{"max_tokens":1,`+c.member+`,"messages":[{"role":"user","content":"x"}]}`)
			if !reflect.DeepEqual(got.ToolChoice, c.choice) || got.ReasoningEffort != c.effort {
				t.Errorf("tool_choice %+v effort %q; want %+v %q", got.ToolChoice, got.ReasoningEffort, c.choice, c.effort)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const mt = `"max_tokens":10,`
	for _, c := range []struct {
		name, body, param, says string
	}{
		{"not-json", `{`, "", "not valid JSON"},
		{"no-messages", `{` + mt + `"model":"x"}`, "messages", "required"},
		{"empty-messages", `{` + mt + `"messages":[]}`, "messages", "empty"},
		{"no-max-tokens", `{"messages":[{"role":"user","content":"x"}]}`, "max_tokens", "required"},
		{"bad-max-tokens", `{"max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, "max_tokens", "positive"},
		{"max-tokens-type", `{"max_tokens":"9","messages":[{"role":"user","content":"x"}]}`, "max_tokens", "a number"},
		{"bad-role", `{` + mt + `"messages":[{"role":"tool","content":"x"}]}`, "messages[0].role", "user or assistant"},
		{"no-content", `{` + mt + `"messages":[{"role":"user"}]}`, "messages[0].content", "required"},
		{"unknown-block", `{` + mt + `"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"video"}]}]}`, "messages[0].content[1].type", "video"},
		{"tool-result-no-id", `{` + mt + `"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"tool_result","content":"r"}]}]}`,
			"messages[2].content[1].tool_use_id", "tool_use block"},
		{"tool-use-in-user", `{` + mt + `"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}`, "messages[0].content[0].type", "only assistant"},
		{"tool-use-input-array", `{` + mt + `"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[1]}]}]}`, "messages[0].content[0].input", "JSON object"},
		{"pdf", `{` + mt + `"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]}`, "messages[0].content[0].source.type", "plain-text documents"},
		{"image-file", `{` + mt + `"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}`, "messages[0].content[0].source.type", "base64 or url"},
		{"server-tool", `{` + mt + `"tools":[{"name":"f","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"x"}]}`, "tools[1].type", `"web_search"`},
		{"tool-no-name", `{` + mt + `"tools":[{"input_schema":{}}],"messages":[{"role":"user","content":"x"}]}`, "tools[0].name", "required"},
		{"tool-choice-tool-no-name", `{` + mt + `"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"x"}]}`, "tool_choice.name", "required"},
		{"tool-choice-type", `{` + mt + `"tool_choice":{"type":"sometimes"},"messages":[{"role":"user","content":"x"}]}`, "tool_choice.type", "auto, any, tool or none"},
		{"system-image", `{` + mt + `"system":[{"type":"image"}],"messages":[{"role":"user","content":"x"}]}`, "system[0].type", "only text"},
		{"thinking-budget", `{` + mt + `"thinking":{"type":"enabled","budget_tokens":-1},"messages":[{"role":"user","content":"x"}]}`, "thinking.budget_tokens", "positive"},
		{"block-field-type", `{` + mt + `"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":7}]}]}`, "messages[0].content[0].tool_use_id", "a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Dialect{}.Decode(httptest.NewRequest("POST", "/v1/messages", nil), []byte(c.body))
			e, ok := err.(*ingress.Error)
			if !ok {
				t.Fatalf("got %v, want an *ingress.Error", err)
			}
			if e.Status != http.StatusBadRequest || e.Code != ingress.CodeInvalidRequest || e.Param != c.param || !strings.Contains(e.Message, c.says) {
				t.Errorf("got %d %s param %q %q; want param %q saying %q", e.Status, e.Code, e.Param, e.Message, c.param, c.says)
			}
		})
	}
}

func TestDecodeCountNeedsNoMaxTokens(t *testing.T) {
	body := []byte(`{"model":"auto","messages":[{"role":"user","content":"foo"}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}`)
	req, err := Dialect{}.DecodeCount(httptest.NewRequest("POST", "/v1/messages/count_tokens?beta=true", nil), body)
	if err != nil || len(req.Chat.Messages) != 1 || len(req.Chat.Tools) != 1 {
		t.Fatalf("got %+v, %v", req, err)
	}
	if _, err := (Dialect{}).Decode(nil, body); err == nil {
		t.Error("Decode accepted a body without max_tokens")
	}
	if got := string(Dialect{}.EncodeCount(1234)); got != `{"input_tokens":1234}` {
		t.Errorf("EncodeCount: %s", got)
	}
}

// TestDecodeClaudeCodeCapture decodes the first request Claude Code 2.1.328
// sent (trimmed from shared/research/captures): adaptive thinking, output
// effort, context_management, a metadata user_id, the billing header
// block, deferred tools and a role:"system" environment message.
func TestDecodeClaudeCodeCapture(t *testing.T) {
	raw, err := os.ReadFile("testdata/claude-code-2.1.328.json")
	if err != nil {
		t.Fatal(err)
	}
	var capture struct {
		Path    string
		Headers map[string]string
		Body    json.RawMessage
	}
	if err := json.Unmarshal(raw, &capture); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", capture.Path, nil)
	for k, v := range capture.Headers {
		r.Header.Set(k, v)
	}
	if !(Dialect{}).ListsModels(r) {
		t.Error("a Claude Code request does not claim the model list")
	}
	req, err := Dialect{}.Decode(r, capture.Body)
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	if c.Model != "auto" || c.MaxTokens != 32000 || !c.Stream || c.ReasoningEffort != "high" || !strings.Contains(c.User, "session_id") || len(c.Tools) != 4 {
		t.Errorf("fields: %+v", c)
	}
	roles := []chat.Role{}
	for _, m := range c.Messages {
		roles = append(roles, m.Role)
	}
	if !reflect.DeepEqual(roles, []chat.Role{chat.RoleSystem, chat.RoleUser, chat.RoleSystem}) {
		t.Fatalf("roles %v", roles)
	}
	if len(c.Messages[0].Content) != 2 || strings.Contains(c.Messages[0].Text(), "billing") {
		t.Errorf("system prompt kept the billing header or lost a block: %d parts", len(c.Messages[0].Content))
	}
	if !strings.HasPrefix(c.Messages[2].Text(), "# Environment") || !strings.Contains(c.Messages[2].Text(), "/home/dev/src/app") {
		t.Errorf("environment message: %.80q", c.Messages[2].Text())
	}
	if got := ingresstest.Assembled(Dialect{}, capture.Body, r); !reflect.DeepEqual(got, req) {
		t.Error("the cut-up decode differs from Decode")
	}
}
