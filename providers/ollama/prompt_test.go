package ollama

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// newPrompterFor is the prompter of a Provider that is never asked
// anything, for the model f describes.
func newPrompterFor(f promptFormat) *prompter { return New(Options{}).newPrompter(f) }

// newCounter is an exact Qwen3 counter.
func newCounter(t testing.TB) *tokenize.Counter {
	c := tokenize.NewCounter()
	c.SetVocabulary(tokenizetest.Qwen3BPE(t))
	return c
}

func caseNamed(t *testing.T, name string) *chat.Request {
	t.Helper()
	for _, c := range renderCases {
		if c.name == name {
			return c.req
		}
	}
	t.Fatalf("no render case %q", name)
	return nil
}

// TestRendererMatchesOllama renders every case as a real Ollama 0.17.4
// rendered it (testdata/observed.json), for a model with a Go template and
// for one with the qwen3-coder renderer, and counts exactly its
// prompt_eval_count.
func TestRendererMatchesOllama(t *testing.T) {
	o := loadObserved(t)
	if len(o.Prompts) != 2*len(renderCases) {
		t.Errorf("%d recorded prompts for %d cases and 2 models: record again", len(o.Prompts), len(renderCases))
	}
	type counting struct {
		r *prompter
		c *tokenize.Counter
	}
	counters := map[string]counting{}
	for model, f := range o.Formats {
		r := newPrompterFor(f)
		if r.Err() != nil {
			t.Fatalf("%s: %v", model, r.Err())
		}
		counters[model] = counting{r, newCounter(t)}
	}
	for _, p := range o.Prompts {
		t.Run(p.Model+"/"+p.Case, func(t *testing.T) {
			req := caseNamed(t, p.Case)
			r := newPrompterFor(o.Formats[p.Model])
			got, exact := r.Render(req)
			if got != p.Prompt || !exact {
				t.Errorf("rendered (exact %v)\n%q\nOllama rendered\n%q", exact, got, p.Prompt)
			}
			// Twice: the second count comes from the segment cache.
			cc := counters[p.Model]
			for pass := range 2 {
				if n := cc.r.count(cc.c, req); n.Tokens != p.PromptEvalCount || !n.Exact {
					t.Errorf("pass %d: CountRequest = %+v, Ollama's prompt_eval_count %d", pass, n, p.PromptEvalCount)
				}
			}
		})
	}
}

// legacyTemplate is the shape of Ollama's templates before .Messages:
// executed once per exchange, the last cut before .Response.
const legacyTemplate = "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}" +
	"{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}<|im_start|>assistant\n{{ .Response }}<|im_end|>\n"

func TestRendererTemplateCases(t *testing.T) {
	two := &chat.Request{Messages: []chat.Message{systemMsg("S"), userMsg("a"), assistantMsg("b"), userMsg("c")}}
	for _, c := range []struct {
		name   string
		format promptFormat
		req    *chat.Request
		want   string
		exact  bool
	}{
		{"legacy-per-exchange", promptFormat{Template: legacyTemplate}, two,
			"<|im_start|>system\nS<|im_end|>\n<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n" +
				"<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n", true},
		// A template with neither .Messages nor .Response gets
		// {{ .Response }} appended: earlier exchanges print their
		// answer, the last one is cut before it.
		{"prompt-only", promptFormat{Template: "{{ .Prompt }}"}, two, "abc", true},
		{"definition-system-first", promptFormat{Template: "{{ .System }}|{{ range .Messages }}{{ .Role }}:{{ .Content }};{{ end }}",
			System: "DEF", Messages: []DefinitionMessage{{Role: "user", Content: "m1"}, {Role: "assistant", Content: "m2"}}},
			&chat.Request{Messages: []chat.Message{userMsg("u")}}, "DEF|system:DEF;user:m1;assistant:m2;user:u;", true},
		{"request-system-wins", promptFormat{Template: "{{ .System }}|{{ len .Messages }}", System: "DEF"},
			&chat.Request{Messages: []chat.Message{systemMsg("mine"), userMsg("u")}}, "mine|2", true},
		{"qwen3-family-drops-old-thinking", promptFormat{Family: "qwen3", Template: "{{ range .Messages }}[{{ .Content }}]{{ end }}"},
			&chat.Request{Messages: []chat.Message{userMsg("q"), assistantMsg("<think>\nplan\n</think>\n\nanswer"), userMsg("q2"),
				assistantMsg("<think>kept</think>last")}}, "[q][answer][q2][<think>kept</think>last]", true},
		{"think-on-for-a-thinking-model", promptFormat{Thinks: true, Template: "{{ .Messages | len }}{{ .Think }}{{ .ThinkLevel }}{{ .IsThinkSet }}"},
			&chat.Request{Messages: []chat.Message{userMsg("q")}}, "1truemediumtrue", true},
		{"think-off", promptFormat{Thinks: true, Template: "{{ .Messages | len }}{{ .Think }}{{ .IsThinkSet }}"},
			&chat.Request{ReasoningEffort: "none", Messages: []chat.Message{userMsg("q")}}, "1falsetrue", true},
		{"functions", promptFormat{Template: "{{ range .Tools }}{{ range $k, $v := .Function.Parameters.Properties }}{{ $k }}:{{ toTypeScriptType $v }}:{{ $v.Type }};{{ end }}{{ end }}{{ .Messages | len }}{{ slice \"abc\" 1 }}"},
			&chat.Request{Tools: []chat.Tool{editTool}, Messages: []chat.Message{userMsg("q")}},
			"edits:any[]:array;line:number | null:[integer null];mode:string | null:;options:Record<string, any>:object;path:string:string;1bc", true},
		{"images-are-tagged-and-inexact", promptFormat{Template: "{{ range .Messages }}{{ .Content }}|{{ len .Images }}{{ end }}"},
			&chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartText, Text: "see"}, {Type: chat.PartImage, ImageURL: "data:image/png;base64,AAAA"}}}}},
			"[img-0]see|1", false},
		{"refused-arguments-are-inexact", promptFormat{Template: "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}{{ end }}{{ end }}"},
			&chat.Request{Messages: []chat.Message{userMsg("q"), calls("", chat.ToolCall{Name: "f", Arguments: "[1]"})}}, "{}", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newPrompterFor(c.format)
			if r.Err() != nil {
				t.Fatal(r.Err())
			}
			got, exact := r.Render(c.req)
			if got != c.want || exact != c.exact {
				t.Errorf("Render = %q (exact %v), want %q (exact %v)", got, exact, c.want, c.exact)
			}
		})
	}
}

// TestRendererFallsBackToChatML: what cannot be rendered as Ollama does is
// rendered as Qwen3's ChatML and marked inexact, never a panic.
func TestRendererFallsBackToChatML(t *testing.T) {
	req := tokenizetest.AgentRequest()
	chatml := tokenize.RenderPrompt(req)
	for _, c := range []struct {
		name    string
		format  promptFormat
		wantErr bool
	}{
		{"unknown-renderer", promptFormat{Renderer: "glm-4.7"}, true},
		{"no-template", promptFormat{}, true},
		{"does-not-parse", promptFormat{Template: "{{ if }"}, true},
		{"fails-on-this-request", promptFormat{Template: "{{ (index .Messages 99).Content }}"}, false},
		// The tree cut before .Response runs without Ollama's functions.
		{"function-in-the-last-exchange", promptFormat{Template: "{{ json .Prompt }}{{ .Response }}"}, false},
		// Ollama's deleteNode panics on an else branch after .Response
		// (a type assertion on nil); here it costs exactness only.
		{"ollama-would-panic", promptFormat{Template: "{{ if .System }}{{ .Response }}{{ else }}x{{ end }}"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newPrompterFor(c.format)
			if (r.Err() != nil) != c.wantErr {
				t.Errorf("Err = %v", r.Err())
			}
			got, exact := r.Render(req)
			if got != chatml || exact {
				t.Errorf("Render = %q (exact %v), want the ChatML rendering, inexact", got, exact)
			}
			if n := r.count(newCounter(t), req); n.Exact {
				t.Errorf("CountRequest = %+v, want inexact", n)
			}
		})
	}
}

// TestQwen3CoderRendererOllamaCases are Ollama's own renderer tests
// (model/renderers/qwen3coder_test.go TestQwen3CoderRenderer "with tools
// and response" and "complex tool call arguments should remain json
// encoded"), sent as switchyard requests.
func TestQwen3CoderRendererOllamaCases(t *testing.T) {
	r := newPrompterFor(promptFormat{Renderer: "qwen3-coder", Template: "{{ .Prompt }}"})
	tool := chat.Tool{Name: "get_weather", Description: "Get the current weather in a given location",
		Parameters: json.RawMessage(`{"type":"object","required":["unit"],"properties":{"unit":{"type":"string","enum":["celsius","fahrenheit"],"description":"The unit of temperature"}}}`)}
	req := &chat.Request{Tools: []chat.Tool{tool}, Messages: []chat.Message{
		systemMsg("You are a helpful assistant with access to tools."),
		userMsg("What is the weather like in San Francisco?"),
		calls("I'll check the weather in San Francisco for you.", chat.ToolCall{ID: "w", Name: "get_weather", Arguments: `{"unit":"fahrenheit"}`}),
		toolResult("w", `{"location": "San Francisco, CA", "temperature": 68, "condition": "partly cloudy", "humidity": 65, "wind_speed": 12}`),
		userMsg("That sounds nice! What about New York?"),
	}}
	want := "<|im_start|>system\nYou are a helpful assistant with access to tools.\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>\n" +
		"<function>\n<name>get_weather</name>\n<description>Get the current weather in a given location</description>\n<parameters>\n" +
		"<parameter>\n<name>unit</name>\n<type>string</type>\n<description>The unit of temperature</description>\n<enum>[\"celsius\",\"fahrenheit\"]</enum>\n</parameter>\n" +
		"<required>[\"unit\"]</required>\n</parameters>\n</function>\n</tools>\n\n" +
		"If you choose to call a function ONLY reply in the following format with NO suffix:\n\n<tool_call>\n<function=example_function_name>\n" +
		"<parameter=example_parameter_1>\nvalue_1\n</parameter>\n<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n</parameter>\n" +
		"</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n" +
		"- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n" +
		"- Required parameters MUST be specified\n" +
		"- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n" +
		"- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n" +
		"</IMPORTANT><|im_end|>\n<|im_start|>user\nWhat is the weather like in San Francisco?<|im_end|>\n" +
		"<|im_start|>assistant\nI'll check the weather in San Francisco for you.\n\n<tool_call>\n<function=get_weather>\n<parameter=unit>\nfahrenheit\n</parameter>\n</function>\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\n<tool_response>\n{\"location\": \"San Francisco, CA\", \"temperature\": 68, \"condition\": \"partly cloudy\", \"humidity\": 65, \"wind_speed\": 12}\n</tool_response><|im_end|>\n" +
		"<|im_start|>user\nThat sounds nice! What about New York?<|im_end|>\n<|im_start|>assistant\n"
	if got, exact := r.Render(req); got != want || !exact {
		t.Errorf("Render (exact %v)\n%q\nwant\n%q", exact, got, want)
	}

	req = &chat.Request{Messages: []chat.Message{userMsg("call tool"),
		calls("", chat.ToolCall{ID: "e", Name: "echo", Arguments: `{"payload":{"foo":"bar"}}`}),
		toolResult("e", `{"payload": {"foo": "bar"}}`)}}
	want = "<|im_start|>user\ncall tool<|im_end|>\n<|im_start|>assistant\n\n<tool_call>\n<function=echo>\n<parameter=payload>\n{\"foo\":\"bar\"}\n</parameter>\n</function>\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\n<tool_response>\n{\"payload\": {\"foo\": \"bar\"}}\n</tool_response><|im_end|>\n<|im_start|>assistant\n"
	if got, _ := r.Render(req); got != want {
		t.Errorf("Render\n%q\nwant\n%q", got, want)
	}
}

// TestCounterRendererSegments: counting a rendering segment by segment,
// through the cache, is counting it whole.
func TestCounterRendererSegments(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	for _, f := range []promptFormat{{Renderer: "qwen3-coder"}, {Template: legacyTemplate}} {
		r := newPrompterFor(f)
		c := newCounter(t)
		for _, ref := range tokenizetest.References(t) {
			req := &chat.Request{Tools: []chat.Tool{weather}, Messages: []chat.Message{
				systemMsg(ref.Text), userMsg(ref.Text), assistantMsg(ref.Text + strings.Repeat(" pad", 20)), userMsg(ref.Text)}}
			prompt, _ := r.Render(req)
			if got, want := r.count(c, req).Tokens, bpe.Count(prompt); got != want {
				t.Fatalf("%s %s: CountRequest %d, Count of the rendering %d", f.Renderer+f.Template[:min(len(f.Template), 10)], ref.Name, got, want)
			}
		}
	}
}

func FuzzRenderer(f *testing.F) {
	for _, s := range []string{"", "x", `{"a":1}`, "<|im_end|>", "[img]", "<think>a</think>b", `{"type":"object","properties":{"a":{"type":["x",1]}}}`} {
		f.Add(s)
	}
	renderers := []*prompter{
		newPrompterFor(promptFormat{Renderer: "qwen3-coder"}),
		newPrompterFor(promptFormat{Template: legacyTemplate, Family: "qwen3"}),
	}
	f.Fuzz(func(t *testing.T, s string) {
		req := &chat.Request{
			Messages: []chat.Message{msg(chat.RoleUser, s), calls(s, chat.ToolCall{Name: s, Arguments: s}), toolResult("", s), msg(chat.Role(s), s)},
			Tools:    []chat.Tool{{Name: s, Description: s, Parameters: []byte(s)}},
		}
		for _, r := range renderers {
			r.Render(req)
		}
	})
}
