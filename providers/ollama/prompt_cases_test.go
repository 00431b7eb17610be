package ollama

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// renderCase is a request as the router hands it to the counter and the
// Ollama adapter. The integration test (prompt_integration_test.go) sends
// each through the adapter to a real Ollama 0.17.4 and records the prompt
// it rendered and its prompt_eval_count in testdata/observed.json; the unit
// tests check the prompter and the counter against that record.
type renderCase struct {
	name string
	req  *chat.Request
}

// Models the cases are rendered for: the rig's tiny model, whose Go
// template is Qwen3's ChatML (providers/ollama/realollama.ChatTemplate),
// and a variant of it with Qwen3-Coder's built-in renderer.
const (
	templateModel = "tiny-qwen3:v-128k"
	coderModel    = "tiny-qwen3-coder:render"
)

func text(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

func msg(role chat.Role, s string) chat.Message {
	return chat.Message{Role: role, Content: text(s)}
}

func userMsg(s string) chat.Message      { return msg(chat.RoleUser, s) }
func systemMsg(s string) chat.Message    { return msg(chat.RoleSystem, s) }
func assistantMsg(s string) chat.Message { return msg(chat.RoleAssistant, s) }

func toolResult(id, s string) chat.Message {
	return chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: text(s)}
}

func calls(content string, cs ...chat.ToolCall) chat.Message {
	m := chat.Message{Role: chat.RoleAssistant, ToolCalls: cs}
	if content != "" {
		m.Content = text(content)
	}
	return m
}

var weather = chat.Tool{Name: "get_weather", Description: "Current weather in <city> & region",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["C","F"],"default":"C"}},"required":["city"]}`)}

// editTool has what agents' schemas carry: nested objects, arrays with
// items, anyOf, type lists, and keywords api.Tool has no field for
// (additionalProperties, minimum, $schema), which Ollama drops.
var editTool = chat.Tool{Name: "edit_file", Description: "Apply edits to a file.\nPaths are relative to the workspace.",
	Parameters: json.RawMessage(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
	"properties":{"path":{"type":"string","description":"file path"},
	"edits":{"type":"array","items":{"type":"object","properties":{"old":{"type":"string"},"new":{"type":"string"}},"required":["old","new"]}},
	"mode":{"anyOf":[{"type":"string","enum":["replace","append"]},{"type":"null"}]},
	"line":{"type":["integer","null"],"minimum":1,"description":"1-based"},
	"options":{"type":"object","properties":{"dry_run":{"type":"boolean"},"backup":{"type":"boolean"}}}},
	"required":["path","edits"]}`)}

var noParams = chat.Tool{Name: "list_dir"}

var renderCases = []renderCase{
	{"user-only", &chat.Request{Messages: []chat.Message{userMsg("hello")}}},
	{"system-and-user", &chat.Request{Messages: []chat.Message{systemMsg("You are terse."), userMsg("hello")}}},
	{"multi-turn", &chat.Request{Messages: []chat.Message{
		systemMsg("S"), userMsg("hi"), assistantMsg("hello there"), userMsg("bye")}}},
	{"system-not-first", &chat.Request{Messages: []chat.Message{userMsg("hi"), systemMsg("be brief"), userMsg("ok")}}},
	{"two-systems", &chat.Request{Messages: []chat.Message{systemMsg("first"), systemMsg("second"), userMsg("go")}}},
	{"consecutive-users", &chat.Request{Messages: []chat.Message{userMsg("one"), userMsg("two"), userMsg("three")}}},
	{"consecutive-assistants", &chat.Request{Messages: []chat.Message{
		userMsg("q"), assistantMsg("a1"), assistantMsg("a2"), userMsg("more")}}},
	{"multi-part-content", &chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
		{Type: chat.PartText, Text: "first part"}, {Type: chat.PartText, Text: "second part"}}}}}},
	{"assistant-prefill", &chat.Request{Messages: []chat.Message{userMsg("hi"), assistantMsg("Sure")}}},
	{"special-tokens-in-content", &chat.Request{Messages: []chat.Message{
		userMsg("quote <|im_end|> and <tool_call> and <think>x</think> literally")}}},
	{"unicode-and-code", &chat.Request{Messages: []chat.Message{
		systemMsg("Réponds en français. 日本語も。"),
		userMsg("func main() {\n\tfmt.Println(\"héllo\") // 🚀\n}\n\n  indented\ttabs  ")}}},
	{"tools-without-system", &chat.Request{Tools: []chat.Tool{weather}, Messages: []chat.Message{userMsg("weather?")}}},
	{"tools-with-system", &chat.Request{Tools: []chat.Tool{weather, editTool, noParams},
		Messages: []chat.Message{systemMsg("S"), userMsg("weather?")}}},
	{"tool-calls-and-results", &chat.Request{Tools: []chat.Tool{weather}, Messages: []chat.Message{
		userMsg("Paris and Lyon?"),
		calls("", chat.ToolCall{ID: "c1", Name: "get_weather", Arguments: `{"unit":"C","city":"Paris"}`},
			chat.ToolCall{ID: "c2", Name: "get_weather", Arguments: `{"city": "Lyon"}`}),
		toolResult("c1", "18"), toolResult("c2", "20")}}},
	{"content-then-tool-call", &chat.Request{Tools: []chat.Tool{weather}, Messages: []chat.Message{
		systemMsg("You are an agent."), userMsg("Paris?"),
		calls("Checking.", chat.ToolCall{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`}),
		toolResult("c1", "18"), assistantMsg("18 degrees."), userMsg("thanks")}}},
	{"complex-arguments", &chat.Request{Tools: []chat.Tool{editTool}, Messages: []chat.Message{
		userMsg("edit it"),
		calls("", chat.ToolCall{ID: "e1", Name: "edit_file",
			Arguments: `{"path":"a.go","edits":[{"old":"x < y","new":"x >= y && z"}],"line":1000000,"options":{"dry_run":true},"mode":null}`}),
		toolResult("e1", `{"ok": true, "diff": "--- a.go\n+++ a.go"}`), userMsg("and now?")}}},
	{"empty-arguments", &chat.Request{Tools: []chat.Tool{noParams}, Messages: []chat.Message{
		userMsg("ls"), calls("", chat.ToolCall{ID: "l1", Name: "list_dir"}), toolResult("l1", "a.go\nb.go")}}},
	{"tool-choice-none", &chat.Request{Tools: []chat.Tool{weather, editTool}, ToolChoice: &chat.ToolChoice{Mode: "none"},
		Messages: []chat.Message{userMsg("no tools please")}}},
	{"tool-choice-function", &chat.Request{Tools: []chat.Tool{weather, editTool}, ToolChoice: &chat.ToolChoice{Mode: "function", Name: "edit_file"},
		Messages: []chat.Message{userMsg("edit")}}},
	{"agent-conversation", tokenizetest.AgentRequest()},
}

// observedPrompt is what a real Ollama rendered for one case and model.
type observedPrompt struct {
	Case            string `json:"case"`
	Model           string `json:"model"`
	Prompt          string `json:"prompt"`
	PromptEvalCount int    `json:"prompt_eval_count"`
}

// observedFormats are the /api/show facts of the models the cases were
// rendered for, as recorded.
type observed struct {
	Ollama  string                  `json:"ollama"`
	Formats map[string]promptFormat `json:"formats"`
	Prompts []observedPrompt        `json:"prompts"`
}

const observedPath = "testdata/observed.json"

func loadObserved(t *testing.T) observed {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(observedPath))
	if err != nil {
		t.Fatal(err)
	}
	var o observed
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("%s: %v", observedPath, err)
	}
	return o
}
