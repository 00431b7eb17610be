package gemini

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

const genPath = "/v1beta/models/auto:generateContent"

func decode(t *testing.T, path, body string) (*ingress.Request, *ingress.Error) {
	t.Helper()
	req, err := Dialect{}.Decode(httptest.NewRequest("POST", path, nil), []byte(body))
	if err != nil {
		return nil, err.(*ingress.Error)
	}
	return req, nil
}

func ptr[T any](v T) *T { return &v }

func txt(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

func TestDecode(t *testing.T) {
	user := `{"role":"user","parts":[{"text":"hi"}]}`
	body := func(extra string) string {
		if extra != "" {
			extra = "," + extra
		}
		return `{"contents":[` + user + `]` + extra + `}`
	}
	for _, c := range []struct {
		name, path, body string
		check            func(t *testing.T, r *chat.Request)
	}{
		{"path-model-and-stream", "/v1beta/models/gemini-3.1-pro-preview:streamGenerateContent?alt=sse", body(""), func(t *testing.T, r *chat.Request) {
			if r.Model != "gemini-3.1-pro-preview" || !r.Stream || len(r.Messages) != 1 || r.Messages[0].Text() != "hi" {
				t.Fatalf("%+v", r)
			}
		}},
		{"whole-call", genPath, body(""), func(t *testing.T, r *chat.Request) {
			if r.Model != "auto" || r.Stream {
				t.Fatalf("%+v", r)
			}
		}},
		{"system-instruction", genPath, body(`"systemInstruction":{"parts":[{"text":"a"},{"text":"b"}]}`), func(t *testing.T, r *chat.Request) {
			if m := r.Messages[0]; m.Role != chat.RoleSystem || len(m.Content) != 2 || m.Text() != "ab" {
				t.Fatalf("%+v", r.Messages)
			}
		}},
		{"missing-role-is-user", genPath, `{"contents":[{"parts":[{"text":"x"}]}]}`, func(t *testing.T, r *chat.Request) {
			if r.Messages[0].Role != chat.RoleUser {
				t.Fatalf("%+v", r.Messages)
			}
		}},
		{"images", genPath, `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"}},{"fileData":{"mimeType":"image/jpeg","fileUri":"https://x/y.jpg"}}]}]}`, func(t *testing.T, r *chat.Request) {
			c := r.Messages[0].Content
			if len(c) != 2 || c[0].Type != chat.PartImage || c[0].ImageURL != "data:image/png;base64,AAAA" || c[1].ImageURL != "https://x/y.jpg" {
				t.Fatalf("%+v", c)
			}
		}},
		{"calls-and-responses", genPath, `{"contents":[` + user + `,
			{"role":"model","parts":[{"text":"t","thought":true,"thoughtSignature":"c2lnMQ=="},{"text":"Let me look."},
				{"functionCall":{"name":"read_file","args":{"path": "a"}},"thoughtSignature":"c2lnMg=="},
				{"functionCall":{"name":"read_file","args":{"path":"b"}}},
				{"functionCall":{"id":"given","name":"ls"}}]},
			{"role":"user","parts":[{"functionResponse":{"name":"read_file","response":{"output":"A"}}},
				{"functionResponse":{"name":"read_file","response":{"error":"no b"}}},
				{"functionResponse":{"id":"given","name":"ls","response":{"files":[1, 2]}}},
				{"text":"go on"}]}]}`, func(t *testing.T, r *chat.Request) {
			m := r.Messages
			if len(m) != 6 {
				t.Fatalf("%d messages: %+v", len(m), m)
			}
			a := m[1]
			want := []chat.ToolCall{{ID: "call_read_file_0", Name: "read_file", Arguments: `{"path":"a"}`, Signature: "c2lnMg=="},
				{ID: "call_read_file_1", Name: "read_file", Arguments: `{"path":"b"}`}, {ID: "given", Name: "ls", Arguments: `{}`}}
			if !reflect.DeepEqual(a.ToolCalls, want) || a.Text() != "Let me look." || !reflect.DeepEqual(a.Reasoning, []chat.Reasoning{{Text: "t", Signature: "c2lnMQ=="}}) {
				t.Fatalf("assistant %+v", a)
			}
			for i, w := range []chat.Message{
				{Role: chat.RoleTool, ToolCallID: "call_read_file_0", Content: txt("A")},
				{Role: chat.RoleTool, ToolCallID: "call_read_file_1", Content: txt("no b"), ToolError: true},
				{Role: chat.RoleTool, ToolCallID: "given", Content: txt(`{"files":[1,2]}`)},
				{Role: chat.RoleUser, Content: txt("go on")},
			} {
				if !reflect.DeepEqual(m[2+i], w) {
					t.Errorf("message %d: %+v, want %+v", 2+i, m[2+i], w)
				}
			}
		}},
		{"tools-and-dropped", genPath, body(`"tools":[{"functionDeclarations":[
			{"name":"a","description":"d","parametersJsonSchema":{"type":"object","properties":{"x":{"type":"string"}}}},
			{"name":"b","parameters":{"type":"OBJECT","properties":{"type":{"type":"STRING","enum":["OBJECT"]},"n":{"type":"ARRAY","items":{"type":"INTEGER"}}}}},
			{"name":"c"}]},{"googleSearch":{}},{"codeExecution":{},"urlContext":{}}]`), func(t *testing.T, r *chat.Request) {
			if len(r.Tools) != 3 || r.Tools[0].Description != "d" || string(r.Tools[0].Parameters) != `{"type":"object","properties":{"x":{"type":"string"}}}` || r.Tools[2].Parameters != nil {
				t.Fatalf("%+v", r.Tools)
			}
			if got := string(r.Tools[1].Parameters); got != `{"properties":{"n":{"items":{"type":"integer"},"type":"array"},"type":{"enum":["OBJECT"],"type":"string"}},"type":"object"}` {
				t.Errorf("lowered schema %s", got)
			}
			if !reflect.DeepEqual(r.DroppedTools, []string{"googleSearch", "codeExecution", "urlContext"}) {
				t.Errorf("dropped %v", r.DroppedTools)
			}
		}},
		{"tool-config-any-one-name", genPath, body(`"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a"]}}`), func(t *testing.T, r *chat.Request) {
			if *r.ToolChoice != (chat.ToolChoice{Mode: "function", Name: "a"}) {
				t.Fatalf("%+v", r.ToolChoice)
			}
		}},
		{"tool-config-modes", genPath, body(`"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}`), func(t *testing.T, r *chat.Request) {
			if r.ToolChoice.Mode != "none" {
				t.Fatalf("%+v", r.ToolChoice)
			}
		}},
		{"tool-config-any", genPath, body(`"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a","b"]}}`), func(t *testing.T, r *chat.Request) {
			if r.ToolChoice.Mode != "required" {
				t.Fatalf("%+v", r.ToolChoice)
			}
		}},
		{"generation-config", genPath, body(`"generationConfig":{"temperature":1,"topP":0.95,"topK":64,"maxOutputTokens":100,"stopSequences":["END"],"candidateCount":1,"seed":7,"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"}}`), func(t *testing.T, r *chat.Request) {
			if *r.Temperature != 1 || *r.TopP != 0.95 || *r.TopK != 64 || r.MaxTokens != 100 || r.Stop[0] != "END" || *r.Seed != 7 || r.ReasoningEffort != "high" {
				t.Fatalf("%+v", r)
			}
		}},
		{"json-object", genPath, body(`"generationConfig":{"responseMimeType":"application/json"}`), func(t *testing.T, r *chat.Request) {
			if r.ResponseFormat.Type != "json_object" {
				t.Fatalf("%+v", r.ResponseFormat)
			}
		}},
		{"json-schema", genPath, body(`"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object"}}`), func(t *testing.T, r *chat.Request) {
			if f := r.ResponseFormat; f.Type != "json_schema" || string(f.Schema) != `{"type":"object"}` || f.Name == "" {
				t.Fatalf("%+v", f)
			}
		}},
		{"response-schema-lowered", genPath, body(`"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT"}}`), func(t *testing.T, r *chat.Request) {
			if string(r.ResponseFormat.Schema) != `{"type":"object"}` {
				t.Fatalf("%s", r.ResponseFormat.Schema)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, e := decode(t, c.path, c.body)
			if e != nil {
				t.Fatal(e)
			}
			c.check(t, req.Chat)
		})
	}
}

func TestThinkingBudgets(t *testing.T) {
	for budget, want := range map[string]string{"0": "none", "-1": "", "1024": "low", "2048": "low", "2049": "medium", "16384": "medium", "24576": "high"} {
		req, e := decode(t, genPath, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":`+budget+`}}}`)
		if e != nil || req.Chat.ReasoningEffort != want {
			t.Errorf("budget %s: %q %v, want %q", budget, req.Chat.ReasoningEffort, e, want)
		}
	}
	for level, want := range map[string]string{"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "low": "low"} {
		req, e := decode(t, genPath, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"`+level+`"}}}`)
		if e != nil || req.Chat.ReasoningEffort != want {
			t.Errorf("level %s: %q %v, want %q", level, req.Chat.ReasoningEffort, e, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	c0 := `{"contents":[{"parts":[{"text":"x"}]}],`
	for _, c := range []struct{ name, path, body, param string }{
		{"not-json", genPath, `{`, ""},
		{"no-contents", genPath, `{}`, "contents"},
		{"contents-not-array", genPath, `{"contents":{}}`, "contents"},
		{"empty-contents", genPath, `{"contents":[]}`, "contents"},
		{"bad-role", genPath, `{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, "contents[0].role"},
		{"no-parts", genPath, `{"contents":[{"role":"user"}]}`, "contents[0].parts"},
		{"part-type", genPath, `{"contents":[{"parts":[{"text":1}]}]}`, "contents[0].parts[0].text"},
		{"empty-part", genPath, `{"contents":[{"parts":[{}]}]}`, "contents[0].parts[0]"},
		{"pdf", genPath, `{"contents":[{"parts":[{"inlineData":{"mimeType":"application/pdf","data":"AA"}}]}]}`, "contents[0].parts[0].inlineData.mimeType"},
		{"file-uri", genPath, `{"contents":[{"parts":[{"fileData":{"fileUri":"files/abc"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
		{"call-no-name", genPath, `{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}`, "contents[0].parts[0].functionCall.name"},
		{"call-args-array", genPath, `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":[1]}}]}]}`, "contents[0].parts[0].functionCall.args"},
		{"call-in-user", genPath, `{"contents":[{"parts":[{"functionCall":{"name":"f"}}]}]}`, "contents[0].parts[0].functionCall"},
		{"response-in-model", genPath, `{"contents":[{"role":"model","parts":[{"functionResponse":{"name":"f"}}]}]}`, "contents[0].parts[0].functionResponse"},
		{"response-no-name", genPath, `{"contents":[{"parts":[{"functionResponse":{"response":{}}}]}]}`, "contents[0].parts[0].functionResponse.name"},
		{"response-not-object", genPath, `{"contents":[{"parts":[{"functionResponse":{"name":"f","response":"x"}}]}]}`, "contents[0].parts[0].functionResponse.response"},
		{"system-image", genPath, c0 + `"systemInstruction":{"parts":[{"inlineData":{}}]}}`, "systemInstruction.parts[0].text"},
		{"decl-no-name", genPath, c0 + `"tools":[{"functionDeclarations":[{"description":"d"}]}]}`, "tools[0].functionDeclarations[0].name"},
		{"decl-schema", genPath, c0 + `"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":"x"}]}]}`, "tools[0].functionDeclarations[0].parametersJsonSchema"},
		{"tool-mode", genPath, c0 + `"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`, "toolConfig.functionCallingConfig.mode"},
		{"candidates", genPath, c0 + `"generationConfig":{"candidateCount":2}}`, "generationConfig.candidateCount"},
		{"max-tokens", genPath, c0 + `"generationConfig":{"maxOutputTokens":0}}`, "generationConfig.maxOutputTokens"},
		{"temperature-type", genPath, c0 + `"generationConfig":{"temperature":"hot"}}`, "generationConfig.temperature"},
		{"mime", genPath, c0 + `"generationConfig":{"responseMimeType":"text/x.enum"}}`, "generationConfig.responseMimeType"},
		{"schema-without-json", genPath, c0 + `"generationConfig":{"responseSchema":{"type":"OBJECT"}}}`, "generationConfig.responseMimeType"},
		{"level", genPath, c0 + `"generationConfig":{"thinkingConfig":{"thinkingLevel":"HUGE"}}}`, "generationConfig.thinkingConfig.thinkingLevel"},
		{"budget", genPath, c0 + `"generationConfig":{"thinkingConfig":{"thinkingBudget":-5}}}`, "generationConfig.thinkingConfig.thinkingBudget"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, e := decode(t, c.path, c.body)
			if e == nil || e.Status != 400 || e.Code != ingress.CodeInvalidRequest || e.Param != c.param || !strings.Contains(e.Message, c.param) {
				t.Fatalf("got %+v, want a 400 naming %q", e, c.param)
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	for _, path := range []string{"/v1beta/models/auto:embedContent", "/v1beta/models/auto"} {
		_, e := decode(t, path, `{"contents":[{"parts":[{"text":"x"}]}]}`)
		if e == nil || e.Status != 404 || e.Code != ingress.CodeNotFound || !strings.Contains(e.Message, "generateContent") {
			t.Errorf("%s: %+v", path, e)
		}
	}
}

func TestCount(t *testing.T) {
	d := Dialect{}
	r := httptest.NewRequest("POST", "/v1beta/models/auto:countTokens", nil)
	if !d.IsCount(r) || d.IsCount(httptest.NewRequest("POST", genPath, nil)) {
		t.Fatal("IsCount")
	}
	for _, body := range []string{
		`{"contents":[{"parts":[{"text":"x"}]}]}`,
		`{"generateContentRequest":{"model":"models/auto","contents":[{"parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"s"}]}}}`,
	} {
		req, err := d.DecodeCount(r, []byte(body))
		if err != nil || req.Chat.Model != "auto" || req.Chat.Messages[len(req.Chat.Messages)-1].Text() != "x" {
			t.Errorf("%s: %+v %v", body, req, err)
		}
	}
	_, err := d.DecodeCount(r, []byte(`{"generateContentRequest":{"contents":[]}}`))
	if e, ok := err.(*ingress.Error); !ok || e.Param != "generateContentRequest.contents" {
		t.Errorf("nested error %v", err)
	}
	if got := string(d.EncodeCount(42)); got != `{"totalTokens":42}` {
		t.Errorf("count %s", got)
	}
	if p := d.ChatPath("local", true); p != "/v1beta/models/local:streamGenerateContent?alt=sse" {
		t.Errorf("path %s", p)
	}
	if p := ingress.ChatPath(d, "local", false); p != "/v1beta/models/local:generateContent" {
		t.Errorf("path %s", p)
	}
}

// TestGeminiCLICapture decodes the request Gemini CLI 0.61 sent
// (testdata/gemini-cli-0.61.json, trimmed from
// research/captures/gemini-cli-0.61.json), by Decode and by the cut-up
// path, to the same job.
func TestGeminiCLICapture(t *testing.T) {
	raw, err := os.ReadFile("testdata/gemini-cli-0.61.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Path string
		Body json.RawMessage
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", c.Path, nil)
	req, err := Dialect{}.Decode(r, c.Body)
	if err != nil {
		t.Fatal(err)
	}
	ch := req.Chat
	if ch.Model != "gemini-3.1-pro-preview" || !ch.Stream || !req.Options.(*options).sse {
		t.Errorf("path: %+v", ch)
	}
	if len(ch.Messages) != 2 || ch.Messages[0].Role != chat.RoleSystem || !strings.HasPrefix(ch.Messages[0].Text(), "You are Gemini CLI") {
		t.Fatalf("messages %+v", ch.Messages)
	}
	if u := ch.Messages[1]; len(u.Content) != 2 || !strings.Contains(u.Content[0].Text, "/home/dev/src/app") || u.Content[1].Text != "Say hi" {
		t.Errorf("user %+v", u)
	}
	if len(ch.Tools) != 8 || ch.Tools[0].Name != "update_topic" || ch.ReasoningEffort != "high" || *ch.TopK != 64 {
		t.Errorf("tools %d, effort %q", len(ch.Tools), ch.ReasoningEffort)
	}
	if got := ingresstest.Assembled(Dialect{}, c.Body, r); !reflect.DeepEqual(got, req) {
		t.Errorf("cut-up path differs:\n%+v\n%+v", got.Chat, ch)
	}
}
