package responses

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

// codexCapture is Codex 0.169's first request, as recorded.
func codexCapture(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/codex-0.169.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Path    string
		Headers map[string]string
		Body    string
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", c.Path, nil)
	for k, v := range c.Headers {
		r.Header.Set(k, v)
	}
	return r, []byte(c.Body)
}

func TestDecodeCodexCapture(t *testing.T) {
	r, body := codexCapture(t)
	d := New()
	req, err := d.Decode(r, body)
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	if c.Model != "auto" || !c.Stream || c.ToolChoice == nil || c.ToolChoice.Mode != "auto" || c.ParallelToolCalls == nil || !*c.ParallelToolCalls {
		t.Errorf("fields: model %q stream %v tool_choice %+v parallel %v", c.Model, c.Stream, c.ToolChoice, c.ParallelToolCalls)
	}
	roles := make([]chat.Role, len(c.Messages))
	for i, m := range c.Messages {
		roles[i] = m.Role
	}
	if want := []chat.Role{chat.RoleSystem, chat.RoleSystem, chat.RoleUser, chat.RoleUser}; !slices.Equal(roles, want) {
		t.Errorf("roles %v, want %v (developer items are system)", roles, want)
	}
	if !strings.Contains(c.Messages[2].Text(), "<cwd>/home/dev/src/app</cwd>") || c.Messages[3].Text() != "say hi" {
		t.Errorf("the user items: %.80q, %q", c.Messages[2].Text(), c.Messages[3].Text())
	}
	var names []string
	for _, tl := range c.Tools {
		names = append(names, tl.Name)
	}
	// The namespace's functions are flattened under their own names.
	for _, want := range []string{"exec_command", "write_stdin", "view_image", "close_agent", "update_goal"} {
		if !slices.Contains(names, want) {
			t.Errorf("tool %s missing from %v", want, names)
		}
	}
	if !slices.Equal(c.DroppedTools, []string{"web_search"}) {
		t.Errorf("dropped %v, want [web_search]", c.DroppedTools)
	}
	opts := req.Options.(Options)
	if opts.Store || opts.Namespaces["close_agent"] != "multi_agent_v1" || opts.Namespaces["exec_command"] != "" {
		t.Errorf("options: store %v namespaces %v", opts.Store, opts.Namespaces)
	}
	if got := d.StatedDirs(r); !slices.Equal(got, []string{"/home/dev/src/app"}) {
		t.Errorf("stated dirs %v", got)
	}
	// The router's cut-up path gives the same request.
	if got := ingresstest.Assembled(d, body, r); !reflect.DeepEqual(got, req) {
		t.Errorf("cut-up path:\n%+v\nDecode:\n%+v", got, req)
	}
}

func TestDecodeItems(t *testing.T) {
	body := `{"model":"auto","instructions":"Be terse.","max_output_tokens":300,"temperature":0.2,"top_p":0.9,
	"reasoning":{"effort":"minimal","summary":"auto"},"text":{"format":{"type":"json_schema","name":"r","schema":{"type":"object"},"strict":true}},
	"tools":[{"type":"function","name":"read","parameters":{"type":"object"}},{"type":"custom","name":"apply_patch","description":"patch"},
	  {"type":"namespace","name":"ns","tools":[{"type":"function","name":"read","description":"the other read"}]},{"type":"file_search","vector_store_ids":["v"]}],
	"tool_choice":{"type":"function","name":"read"},"user":"u1","input":[
	{"role":"user","content":"hi"},
	{"type":"message","role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"data:image/png;base64,AA==","detail":"low"}]},
	{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"a"},{"type":"summary_text","text":"b"}],"encrypted_content":"gAAA"},
	{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Reading.","annotations":[]}]},
	{"type":"function_call","call_id":"call_1","name":"read","arguments":"{\"p\":1}"},
	{"type":"custom_tool_call","call_id":"call_2","name":"apply_patch","input":"*** Begin Patch"},
	{"type":"function_call_output","call_id":"call_1","output":"one"},
	{"type":"custom_tool_call_output","call_id":"call_2","output":[{"type":"input_text","text":"ok"}]},
	{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search"}}]}`
	req, err := New().Decode(nil, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	text := func(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }
	want := []chat.Message{
		{Role: chat.RoleSystem, Content: text("Be terse.")},
		{Role: chat.RoleUser, Content: text("hi")},
		{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: "look"}, {Type: chat.PartImage, ImageURL: "data:image/png;base64,AA==", Detail: "low"}}},
		{Role: chat.RoleAssistant, Content: []chat.Part{}, Reasoning: []chat.Reasoning{{Text: "a\n\nb"}}},
		{Role: chat.RoleAssistant, Content: text("Reading.")},
		{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "call_1", Name: "read", Arguments: `{"p":1}`}}},
		{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "call_2", Name: "apply_patch", Arguments: `{"input":"*** Begin Patch"}`}}},
		{Role: chat.RoleTool, ToolCallID: "call_1", Content: text("one")},
		{Role: chat.RoleTool, ToolCallID: "call_2", Content: text("ok")},
	}
	if !reflect.DeepEqual(c.Messages, want) {
		t.Errorf("messages:\n%+v\nwant\n%+v", c.Messages, want)
	}
	if c.MaxTokens != 300 || *c.Temperature != 0.2 || *c.TopP != 0.9 || c.ReasoningEffort != "low" || c.User != "u1" ||
		c.ResponseFormat == nil || c.ResponseFormat.Type != "json_schema" || !c.ResponseFormat.Strict || c.ToolChoice.Name != "read" {
		t.Errorf("fields %+v", c)
	}
	var names []string
	for _, tl := range c.Tools {
		names = append(names, tl.Name)
	}
	if !slices.Equal(names, []string{"read", "apply_patch", "ns__read"}) || !slices.Equal(c.DroppedTools, []string{"file_search"}) {
		t.Errorf("tools %v dropped %v", names, c.DroppedTools)
	}
	if !json.Valid(c.Tools[1].Parameters) {
		t.Errorf("custom tool schema %s", c.Tools[1].Parameters)
	}
	opts := req.Options.(Options)
	if !opts.Custom["apply_patch"] || opts.Namespaces["ns__read"] != "ns" || opts.Instructions != 1 || !opts.Store {
		t.Errorf("options %+v", opts)
	}
	// A hosted tool's call stands for no message: the cut-up path leaves
	// the body to Decode.
	if got := ingresstest.Assembled(New(), []byte(body), httptest.NewRequest("POST", "/v1/responses", nil)); got != nil {
		t.Errorf("the cut-up path took a body with a web_search_call item")
	}
}

func TestDecodeStringInput(t *testing.T) {
	req, err := New().Decode(nil, []byte(`{"model":"gpt-5","input":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Chat.Messages) != 1 || req.Chat.Messages[0].Role != chat.RoleUser || req.Chat.Messages[0].Text() != "hello" || req.Chat.Stream {
		t.Errorf("%+v", req.Chat)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ body, param, says string }{
		{`{"model":"auto"}`, "input", "input is required"},
		{`{"input":5}`, "input", "a string or an array"},
		{`{"input":[5]}`, "input[0]", "must be an object"},
		{`{"input":[{"content":"x"}]}`, "input[0].type", "type is required"},
		{`{"input":[{"type":"message","role":"tool","content":"x"}]}`, "input[0].role", "not \"tool\""},
		{`{"input":[{"type":"message","role":"user"}]}`, "input[0].content", "content is required"},
		{`{"input":[{"type":"message","role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`, "input[0].content[0].type", "input_file"},
		{`{"input":[{"type":"message","role":"user","content":[{"type":"input_image","file_id":"f"}]}]}`, "input[0].content[0].file_id", "file_id"},
		{`{"input":[{"type":"function_call","name":"f"}]}`, "input[0].call_id", "call_id is required"},
		{`{"input":[{"type":"function_call_output","call_id":"c"}]}`, "input[0].output", "output is required"},
		{`{"input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", "send the item itself"},
		{`{"input":[{"type":"wormhole"}]}`, "input[0].type", "\"wormhole\""},
		{`{"input":"x","tools":[{"type":"teleport"}]}`, "tools[0].type", "teleport"},
		{`{"input":"x","tools":[{"type":"function"}]}`, "tools[0].name", "name is required"},
		{`{"input":"x","tools":[{"type":"function","name":"f"},{"type":"function","name":"f"}]}`, "tools[1].name", "offered twice"},
		{`{"input":"x","tool_choice":{"type":"web_search"}}`, "tool_choice.type", "hosted tool"},
		{`{"input":"x","reasoning":{"effort":"extreme"}}`, "reasoning.effort", "extreme"},
		{`{"input":"x","text":{"format":{"type":"json_schema"}}}`, "text.format.schema", "JSON Schema"},
		{`{"input":"x","max_output_tokens":0}`, "max_output_tokens", "positive"},
		{`{"input":"x","background":true}`, "background", "background"},
		{`{"input":"x","conversation":"conv_1"}`, "conversation", "previous_response_id"},
		{`{"input":"x","instructions":3}`, "instructions", "a string"},
		{`{"input":"x","previous_response_id":"resp_gone"}`, "previous_response_id", "not found"},
		{`{"input":[]}`, "input", "at least one message"},
		{`{"input":"x",`, "", "not valid JSON"},
	} {
		_, err := New().Decode(nil, []byte(c.body))
		e, ok := err.(*ingress.Error)
		if !ok || e.Status != 400 || e.Param != c.param || !strings.Contains(e.Message, c.says) {
			t.Errorf("%s: %v (param %q); want param %q saying %q", c.body, err, paramOf(err), c.param, c.says)
		}
	}
}

func paramOf(err error) string {
	if e, ok := err.(*ingress.Error); ok {
		return e.Param
	}
	return ""
}
