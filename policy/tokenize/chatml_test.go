package tokenize_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

func text(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

func msg(role chat.Role, s string) chat.Message {
	return chat.Message{Role: role, Content: text(s)}
}

func agentRequest() *chat.Request { return tokenizetest.AgentRequest() }

func TestRenderPromptFollowsQwen3Template(t *testing.T) {
	// Written out by hand from the chat_template in
	// testdata/qwen3/tokenizer_config.json.
	want := "<|im_start|>system\nYou are a coding agent. Working directory: /home/u/src/app\n\n" +
		"# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
		"You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
		`{"type": "function", "function": {"name": "read_file", "description": "Read a file.\nReturns its text.", "parameters": {"type": "object", "properties": {"path": {"type": "string", "description": "a path, é and \"quotes\""}}, "required": ["path"]}}}` + "\n" +
		`{"type": "function", "function": {"name": "run", "description": "Run a command.", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}, "n": {"type": "integer", "default": 1.5}}}}}` +
		"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
		"<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\nWhy does the build fail?<|im_end|>\n" +
		"<|im_start|>assistant\n" +
		"<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"go.mod\"}}\n</tool_call>\n" +
		"<tool_call>\n{\"name\": \"run\", \"arguments\": {\"cmd\":\"go build ./...\"}}\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\n<tool_response>\nmodule example.com/app\n\ngo 1.26\n\n</tool_response>\n<tool_response>\nmain.go:3:2: undefined: x\n</tool_response><|im_end|>\n" +
		// Before the last user query, reasoning is dropped.
		"<|im_start|>assistant\nLine 3 uses `x`, which is never declared.<|im_end|>\n" +
		"<|im_start|>user\nFix it, café ☕<|im_end|>\n" +
		"<|im_start|>assistant\n"
	if got := tokenize.RenderPrompt(agentRequest()); got != want {
		t.Errorf("RenderPrompt:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderPromptCases(t *testing.T) {
	for _, c := range []struct {
		name string
		req  *chat.Request
		want string
	}{
		{"empty", &chat.Request{}, "<|im_start|>assistant\n"},
		{"user-only", &chat.Request{Messages: []chat.Message{msg(chat.RoleUser, "hi")}},
			"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"},
		{"later-system", &chat.Request{Messages: []chat.Message{msg(chat.RoleUser, "a"), msg(chat.RoleSystem, "b")}},
			"<|im_start|>user\na<|im_end|>\n<|im_start|>system\nb<|im_end|>\n<|im_start|>assistant\n"},
		{"tools-without-system", &chat.Request{Tools: []chat.Tool{{Name: "f"}}, Messages: []chat.Message{msg(chat.RoleUser, "a")}},
			"<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
				`{"type": "function", "function": {"name": "f"}}` +
				"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
				"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n"},
		{"assistant-after-query-with-reasoning", &chat.Request{Messages: []chat.Message{
			msg(chat.RoleUser, "q"),
			{Role: chat.RoleAssistant, Content: text("<think>\nplan\n</think>\n\nok"), ToolCalls: []chat.ToolCall{{Name: "f", Arguments: "{}"}}},
			{Role: chat.RoleTool, Content: text("r")},
		}}, "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nok\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call><|im_end|>\n" +
			"<|im_start|>user\n<tool_response>\nr\n</tool_response><|im_end|>\n<|im_start|>assistant\n"},
		{"last-assistant-gets-empty-think", &chat.Request{Messages: []chat.Message{msg(chat.RoleUser, "q"), msg(chat.RoleAssistant, "\npartial")}},
			"<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\npartial<|im_end|>\n<|im_start|>assistant\n"},
		{"bad-parameters-kept-as-text", &chat.Request{Tools: []chat.Tool{{Name: "f", Parameters: json.RawMessage(`{"a":`)}}},
			"<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
				`{"type": "function", "function": {"name": "f", "parameters": {"a":}}` +
				"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
				"<|im_start|>assistant\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tokenize.RenderPrompt(c.req); got != c.want {
				t.Errorf("RenderPrompt:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}

func TestRenderPromptSurvivesDeepJSON(t *testing.T) {
	deep := json.RawMessage(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
	got := tokenize.RenderPrompt(&chat.Request{Tools: []chat.Tool{{Name: "f", Parameters: deep}}})
	if !strings.Contains(got, string(deep)) {
		t.Error("a schema nested too deeply to re-serialize should be counted as its text")
	}
}

// TestCountRequestIsCountOfRendering checks that counting chunk by chunk
// (what makes the per-message cache possible) equals counting the whole
// rendered prompt at once.
func TestCountRequestIsCountOfRendering(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	c := tokenize.NewCounter()
	c.SetVocabulary(bpe)
	reqs := []*chat.Request{agentRequest(), {}}
	for _, r := range loadReference(t) {
		// Every reference string as a user message, a tool result, a
		// system prompt and an assistant turn, next to each other.
		reqs = append(reqs, &chat.Request{Messages: []chat.Message{
			msg(chat.RoleSystem, r.Text), msg(chat.RoleUser, r.Text),
			{Role: chat.RoleAssistant, Content: text(r.Text), ToolCalls: []chat.ToolCall{{Name: "f", Arguments: r.Text}}},
			msg(chat.RoleTool, r.Text), msg(chat.RoleTool, r.Text), msg(chat.RoleAssistant, r.Text),
		}})
	}
	for i, req := range reqs {
		want := bpe.Count(tokenize.RenderPrompt(req))
		for pass := range 2 {
			got := c.CountRequest(req)
			if got.Tokens != want || !got.Exact {
				t.Fatalf("request %d pass %d: CountRequest = %+v, want %d exact", i, pass, got, want)
			}
		}
	}
}

// TestCountRequestTemplateCost checks the costs the brief states: five
// tokens per message around its content, three for the generation prompt.
func TestCountRequestTemplateCost(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	c := tokenize.NewCounter()
	c.SetVocabulary(bpe)
	sys, user := "You are terse.", "Count the tokens in this sentence, please."
	req := &chat.Request{Messages: []chat.Message{msg(chat.RoleSystem, sys), msg(chat.RoleUser, user)}}
	want := bpe.Count(sys) + 5 + bpe.Count(user) + 5 + 3
	if got := c.CountRequest(req); got.Tokens != want {
		t.Errorf("CountRequest = %d, want %d", got.Tokens, want)
	}
}

func TestCountRequestEstimatesWithoutVocabulary(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	c := tokenize.NewCounter()
	req := agentRequest()
	est := c.CountRequest(req)
	c.SetVocabulary(bpe)
	exact := c.CountRequest(req)
	if est.Exact || !exact.Exact {
		t.Fatalf("Exact flags: before %v, after %v", est.Exact, exact.Exact)
	}
	if est.Tokens < exact.Tokens {
		t.Errorf("estimate %d is under the exact %d", est.Tokens, exact.Tokens)
	}
	c.SetVocabulary(nil)
	if again := c.CountRequest(req); again != est {
		t.Errorf("after SetVocabulary(nil): %+v, want the estimate %+v again", again, est)
	}
}
