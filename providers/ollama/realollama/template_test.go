package realollama

import (
	"encoding/json"
	"strings"
	"testing"
	"text/template"
)

// chatMessage is a message as /api/chat takes it (Ollama api.Message).
type chatMessage struct {
	Role      string         `json:"role"`
	Content   string         `json:"content"`
	ToolCalls []chatToolCall `json:"tool_calls,omitempty"`
}

type chatToolCall struct {
	Function chatToolCallFunction `json:"function"`
}

type chatToolCallFunction struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

// weatherTool is sent to /api/chat in OpenAI's tool shape. Ollama decodes
// it into api.Tool and re-encodes it for the template with Go's
// encoding/json: struct field order (type, function{name, description,
// parameters{type, required, properties}}), no spaces, and <, >, &
// escaped as \u003c, \u003e, \u0026 (template/template.go templateTool;
// the "json" template function is json.Marshal).
const weatherTool = `{"type":"function","function":{"name":"get_weather","description":"Current weather in <city> & region","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]}}}`

const weatherToolRendered = `{"type":"function","function":{"name":"get_weather","description":"Current weather in \u003ccity\u003e \u0026 region","parameters":{"type":"object","required":["city"],"properties":{"city":{"type":"string","description":"City name"}}}}}`

const toolsPreamble = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
	"You are provided with function signatures within <tools></tools> XML tags:\n<tools>"

const toolsPostamble = "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
	"<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"

// templateCase is a conversation and the prompt Qwen3's Hugging Face
// chat_template renders for it with add_generation_prompt=True (written
// out by hand from tokenizer_config.json's template), except where noted.
// The unit test renders ChatTemplate locally; the integration test sends
// the same conversation to a real Ollama and reads the prompt it logged.
type templateCase struct {
	name     string
	messages []chatMessage
	tools    []string
	want     string
}

var templateCases = []templateCase{
	{
		name:     "user-only",
		messages: []chatMessage{{Role: "user", Content: "hello"}},
		want:     "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		name:     "system-and-user",
		messages: []chatMessage{{Role: "system", Content: "You are terse."}, {Role: "user", Content: "hello"}},
		want:     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		name: "multi-turn",
		messages: []chatMessage{
			{Role: "system", Content: "S"},
			{Role: "user", Content: "hi"},
			{Role: "assistant", Content: "hello there"},
			{Role: "user", Content: "bye"},
		},
		want: "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n" +
			"<|im_start|>assistant\nhello there<|im_end|>\n<|im_start|>user\nbye<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		name: "system-not-first",
		messages: []chatMessage{
			{Role: "user", Content: "hi"},
			{Role: "system", Content: "be brief"},
			{Role: "user", Content: "ok"},
		},
		want: "<|im_start|>user\nhi<|im_end|>\n<|im_start|>system\nbe brief<|im_end|>\n" +
			"<|im_start|>user\nok<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		name:     "tools-without-system",
		messages: []chatMessage{{Role: "user", Content: "weather?"}},
		tools:    []string{weatherTool},
		want: "<|im_start|>system\n" + toolsPreamble + "\n" + weatherToolRendered + toolsPostamble +
			"<|im_start|>user\nweather?<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		name:     "tools-with-system",
		messages: []chatMessage{{Role: "system", Content: "S"}, {Role: "user", Content: "weather?"}},
		tools:    []string{weatherTool, weatherTool},
		want: "<|im_start|>system\nS\n\n" + toolsPreamble + "\n" + weatherToolRendered + "\n" + weatherToolRendered + toolsPostamble +
			"<|im_start|>user\nweather?<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		// Arguments are compact JSON with sorted keys (Ollama's
		// templateArgs), where Hugging Face's tojson writes
		// {"city": "Paris", "unit": "C"}.
		name: "tool-calls-and-results",
		messages: []chatMessage{
			{Role: "user", Content: "Paris and Lyon?"},
			{Role: "assistant", ToolCalls: []chatToolCall{
				{Function: chatToolCallFunction{Name: "get_weather", Arguments: map[string]any{"unit": "C", "city": "Paris"}}},
				{Function: chatToolCallFunction{Name: "get_weather", Arguments: map[string]any{"city": "Lyon"}}},
			}},
			{Role: "tool", Content: "18"},
			{Role: "tool", Content: "20"},
		},
		tools: []string{weatherTool},
		want: "<|im_start|>system\n" + toolsPreamble + "\n" + weatherToolRendered + toolsPostamble +
			"<|im_start|>user\nParis and Lyon?<|im_end|>\n" +
			"<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\",\"unit\":\"C\"}}\n</tool_call>\n" +
			"<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Lyon\"}}\n</tool_call><|im_end|>\n" +
			"<|im_start|>user\n<tool_response>\n18\n</tool_response>\n<tool_response>\n20\n</tool_response><|im_end|>\n" +
			"<|im_start|>assistant\n",
	},
	{
		name: "content-then-tool-call",
		messages: []chatMessage{
			{Role: "user", Content: "Paris?"},
			{Role: "assistant", Content: "Checking.", ToolCalls: []chatToolCall{
				{Function: chatToolCallFunction{Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}},
			}},
			{Role: "tool", Content: "18"},
			{Role: "assistant", Content: "18 degrees."},
			{Role: "user", Content: "thanks"},
		},
		tools: []string{weatherTool},
		want: "<|im_start|>system\n" + toolsPreamble + "\n" + weatherToolRendered + toolsPostamble +
			"<|im_start|>user\nParis?<|im_end|>\n" +
			"<|im_start|>assistant\nChecking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call><|im_end|>\n" +
			"<|im_start|>user\n<tool_response>\n18\n</tool_response><|im_end|>\n" +
			"<|im_start|>assistant\n18 degrees.<|im_end|>\n<|im_start|>user\nthanks<|im_end|>\n<|im_start|>assistant\n",
	},
	{
		// Ollama's convention, not Hugging Face's: a trailing assistant
		// turn is continued, so it stays open and no generation prompt
		// follows.
		name:     "assistant-prefill",
		messages: []chatMessage{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "Sure"}},
		want:     "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nSure",
	},
}

// The types below mirror what Ollama 0.17.4 hands a template
// (template/template.go: templateMessage, templateToolCall,
// templateToolCallFunction, templateArgs with its String method, the
// "json" function, Option("missingkey=zero")), so ChatTemplate can be
// checked without a server. The integration test checks the real one.
type tmplMessage struct {
	Role      string
	Content   string
	ToolCalls []tmplToolCall
}

type tmplToolCall struct{ Function tmplToolCallFunction }

type tmplToolCallFunction struct {
	Name      string
	Arguments tmplArgs
}

type tmplArgs map[string]any

func (a tmplArgs) String() string {
	b, _ := json.Marshal(map[string]any(a))
	return string(b)
}

func renderLocally(t *testing.T, c templateCase) string {
	t.Helper()
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(template.FuncMap{
		"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
	}).Parse(ChatTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*tmplMessage
	for _, m := range c.messages {
		tm := &tmplMessage{Role: m.Role, Content: m.Content}
		for _, tc := range m.ToolCalls {
			tm.ToolCalls = append(tm.ToolCalls, tmplToolCall{tmplToolCallFunction{tc.Function.Name, tc.Function.Arguments}})
		}
		msgs = append(msgs, tm)
	}
	// Ollama re-encodes each tool; the integration test checks that a
	// real server renders weatherTool as weatherToolRendered.
	reencoded := map[string]string{weatherTool: weatherToolRendered}
	var tools []json.RawMessage
	for _, tool := range c.tools {
		r, ok := reencoded[tool]
		if !ok {
			t.Fatalf("no Ollama encoding known for tool %s", tool)
		}
		tools = append(tools, json.RawMessage(r))
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{"Messages": msgs, "Tools": tools}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestChatTemplateRendersQwen3ChatML(t *testing.T) {
	for _, c := range templateCases {
		t.Run(c.name, func(t *testing.T) {
			if got := renderLocally(t, c); got != c.want {
				t.Errorf("rendered\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

// The token counter charges five tokens per message and three for the
// generation prompt; that holds only if the template adds nothing else
// around a plain message.
func TestChatTemplateOverheadIsFivePerMessagePlusThree(t *testing.T) {
	c := templateCase{messages: []chatMessage{
		{Role: "system", Content: "A"}, {Role: "user", Content: "B"},
		{Role: "assistant", Content: "C"}, {Role: "user", Content: "D"},
	}}
	got := renderLocally(t, c)
	var markers int
	for _, m := range []string{"<|im_start|>", "<|im_end|>"} {
		markers += strings.Count(got, m)
	}
	// Per message: <|im_start|>, role, \n, <|im_end|>, \n = 5 tokens.
	// Generation prompt: <|im_start|>, assistant, \n = 3 tokens.
	stripped := got
	for _, s := range []string{"<|im_start|>", "<|im_end|>", "system", "user", "assistant", "A", "B", "C", "D"} {
		stripped = strings.ReplaceAll(stripped, s, "")
	}
	if markers != 4*2+1 || stripped != strings.Repeat("\n", 4*2+1) {
		t.Errorf("rendered %q: %d markers and leftover %q; want 9 markers and only the 9 newlines", got, markers, stripped)
	}
}
