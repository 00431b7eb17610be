package gemini

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

func offlineProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(context.Background(), Options{BaseURL: "http://127.0.0.1:1", Model: "gemini-2.5-pro", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func text(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

// wire renders what the SDK will send for contents and config, in the
// API's JSON, so cases assert on the wire rather than on SDK structs.
func wire(t *testing.T, tr *translated) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"contents": tr.contents, "config": tr.config})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTranslate(t *testing.T) {
	sig := []byte("opaque-signature-bytes")
	signedID, _ := encodeCallID("call_KEY1", sigRef{sig: sig}, 4096)
	tests := []struct {
		name    string
		req     chat.Request
		want    []string // substrings of the wire JSON
		notWant []string
		check   func(t *testing.T, tr *translated)
		err     string
	}{
		{
			name: "system-to-system-instruction",
			req: chat.Request{Messages: []chat.Message{
				{Role: chat.RoleSystem, Content: text("rule one")}, {Role: chat.RoleUser, Content: text("hi")},
				{Role: chat.RoleSystem, Content: text("rule two")}}},
			check: func(t *testing.T, tr *translated) {
				si := tr.config.SystemInstruction
				if si == nil || len(si.Parts) != 2 || si.Parts[1].Text != "rule two" || len(tr.contents) != 1 {
					t.Fatalf("system %+v contents %d", si, len(tr.contents))
				}
			},
		},
		{
			name: "system-only-becomes-user",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleSystem, Content: text("say hi")}}},
			check: func(t *testing.T, tr *translated) {
				if tr.config.SystemInstruction != nil || tr.contents[0].Role != "user" || tr.contents[0].Parts[0].Text != "say hi" {
					t.Fatalf("%+v", tr.contents[0])
				}
			},
		},
		{name: "no-messages", req: chat.Request{}, err: "no messages"},
		{
			name: "roles-and-merging",
			req: chat.Request{Messages: []chat.Message{
				{Role: chat.RoleUser, Content: text("a")}, {Role: chat.RoleUser, Content: text("b")},
				{Role: chat.RoleAssistant, Content: text("c")}, {Role: chat.RoleAssistant, Content: text("d")}}},
			check: func(t *testing.T, tr *translated) {
				if len(tr.contents) != 2 || tr.contents[0].Role != "user" || tr.contents[1].Role != "model" || len(tr.contents[1].Parts) != 2 {
					t.Fatalf("contents %s", wire(t, tr))
				}
			},
		},
		{
			name: "empty-text-dropped",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText}, {Type: chat.PartText, Text: "x"}}}}},
			check: func(t *testing.T, tr *translated) {
				if len(tr.contents[0].Parts) != 1 {
					t.Fatalf("%s", wire(t, tr))
				}
			},
		},
		{
			name: "data-url-image",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("PNGDATA"))}}}}},
			check: func(t *testing.T, tr *translated) {
				b := tr.contents[0].Parts[0].InlineData
				if b == nil || b.MIMEType != "image/png" || string(b.Data) != "PNGDATA" {
					t.Fatalf("%+v", b)
				}
			},
		},
		{
			name: "http-image-file-data",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "https://example.com/shot.JPG?x=1"}}}}},
			want: []string{`"fileUri":"https://example.com/shot.JPG?x=1"`, `"mimeType":"image/jpeg"`},
		},
		{
			name: "http-image-unknown-type",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "https://example.com/render"}}}}},
			err: "cannot tell the image type",
		},
		{
			name: "bad-data-url",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "data:image/png;base64,!!!"}}}}},
			err: "not valid base64",
		},
		{
			name: "tools-and-schema",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}, Tools: []chat.Tool{
				{Name: "edit", Description: "Edit", Parameters: []byte(`{"properties":{"p":{"$ref":"#/$defs/P","type":"string","title":"x"}},"$defs":{"P":{"type":"string"}}}`)},
				{Name: "noargs"}}},
			want:    []string{`"name":"edit"`, `"parametersJsonSchema":{`, `"type":"object"`, `"$ref":"#/$defs/P"`, `"$defs"`},
			notWant: []string{`"title":"x"`},
			check: func(t *testing.T, tr *translated) {
				if d := tr.config.Tools[0].FunctionDeclarations[1]; d.ParametersJsonSchema != nil {
					t.Fatalf("no-arg tool got a schema %v", d.ParametersJsonSchema)
				}
			},
		},
		{name: "tool-schema-not-object", req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
			Tools: []chat.Tool{{Name: "f", Parameters: []byte(`{"type":"array"}`)}}}, err: "must describe an object"},
		{name: "tool-bad-name", req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
			Tools: []chat.Tool{{Name: "9 lives"}}}, err: "not a valid Gemini function name"},
		{name: "tool-choice-auto", req: toolChoiceReq("auto", ""), want: []string{`"mode":"AUTO"`}},
		{name: "tool-choice-none", req: toolChoiceReq("none", ""), want: []string{`"mode":"NONE"`}},
		{name: "tool-choice-required", req: toolChoiceReq("required", ""), want: []string{`"mode":"ANY"`}, notWant: []string{"allowedFunctionNames"}},
		{name: "tool-choice-named", req: toolChoiceReq("function", "read_file"), want: []string{`"mode":"ANY"`, `"allowedFunctionNames":["read_file"]`}},
		{name: "tool-choice-unknown-name", req: toolChoiceReq("function", "nope"), err: "not among the tools"},
		{
			name: "assistant-calls-and-results",
			req: chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{
				{Role: chat.RoleUser, Content: text("go")},
				{Role: chat.RoleAssistant, Content: text("ok"), ToolCalls: []chat.ToolCall{
					{ID: signedID, Name: "read_file", Arguments: `{"path":"a"}`},
					{ID: "call_other", Name: "read_file", Arguments: ``}}},
				{Role: chat.RoleTool, ToolCallID: signedID, Content: text(`{"lines":3}`)},
				{Role: chat.RoleTool, ToolCallID: "call_other", Content: text(`[1,2]`)},
			}},
			check: func(t *testing.T, tr *translated) {
				m := tr.contents[1].Parts
				if len(m) != 3 || m[0].Text != "ok" || m[1].FunctionCall.Args["path"] != "a" || len(m[2].FunctionCall.Args) != 0 {
					t.Fatalf("model parts %s", wire(t, tr))
				}
				if string(m[1].ThoughtSignature) != string(sig) || m[2].ThoughtSignature != nil {
					t.Fatalf("signatures %q %q", m[1].ThoughtSignature, m[2].ThoughtSignature)
				}
				u := tr.contents[2].Parts
				if len(tr.contents) != 3 || len(u) != 2 || u[0].FunctionResponse.Response["lines"] != 3.0 {
					t.Fatalf("results %s", wire(t, tr))
				}
				if out, _ := u[1].FunctionResponse.Response["output"].([]any); len(out) != 2 {
					t.Fatalf("array result %v", u[1].FunctionResponse.Response)
				}
			},
		},
		{
			name: "malformed-history-arguments-kept",
			req: chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{
				{Role: chat.RoleUser, Content: text("go")},
				{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "x1", Name: "read_file", Arguments: `{"path":`}}},
				{Role: chat.RoleTool, ToolCallID: "x1", Content: text("err")}}},
			check: func(t *testing.T, tr *translated) {
				p := tr.contents[1].Parts[0]
				if p.FunctionCall.Args["arguments"] != `{"path":` || string(p.ThoughtSignature) != string(placeholderSignature) {
					t.Fatalf("%s", wire(t, tr))
				}
			},
		},
		{name: "orphan-tool-result", req: chat.Request{Messages: []chat.Message{
			{Role: chat.RoleUser, Content: text("go")}, {Role: chat.RoleTool, ToolCallID: "ghost", Content: text("x")}}},
			err: "answers no tool call"},
		{
			name: "sampling-and-stop",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
				Temperature: ptr(0.2), TopP: ptr(0.9), Seed: ptr(int64(1) << 40), Stop: []string{"END", ""},
				PresencePenalty: ptr(0.5), FrequencyPenalty: ptr(0.5)},
			want:    []string{`"temperature":0.2`, `"topP":0.9`, `"stopSequences":["END"]`, `"seed":0`},
			notWant: []string{"presencePenalty", "frequencyPenalty"},
		},
		{name: "too-many-stops", req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
			Stop: []string{"1", "2", "3", "4", "5", "6"}}, err: "at most 5"},
		{name: "temperature-range", req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
			Temperature: ptr(3.0)}, err: "outside"},
		{
			name: "max-tokens-adds-thinking",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}, MaxTokens: 1000},
			want: []string{`"maxOutputTokens":9192`, `"thinkingBudget":8192`},
		},
		{
			name: "max-tokens-with-effort",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}, MaxTokens: 1000, ReasoningEffort: "low"},
			want: []string{`"maxOutputTokens":2024`, `"thinkingBudget":1024`},
		},
		{
			name:    "no-max-tokens-left-to-gemini",
			req:     chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}},
			notWant: []string{"maxOutputTokens", "thinkingConfig"},
		},
		{
			name: "json-schema-response",
			req: chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
				ResponseFormat: &chat.ResponseFormat{Type: "json_schema", Name: "r", Schema: []byte(`{"type":"object","properties":{"a":{"type":"integer"}}}`)}},
			want: []string{`"responseMimeType":"application/json"`, `"responseJsonSchema":{"properties"`},
		},
		{
			name: "json-object-response",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}, ResponseFormat: &chat.ResponseFormat{Type: "json_object"}},
			want: []string{`"responseMimeType":"application/json"`}, notWant: []string{"responseJsonSchema"},
		},
		{
			name: "continuation-off",
			req:  chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}}},
			want: []string{`"automaticContinuation":false`},
		},
	}
	p := offlineProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := p.translate(&tt.req)
			if tt.err != "" {
				pe, ok := providers.AsError(err)
				if !ok || pe.Kind != providers.KindRequest || !strings.Contains(pe.Message, tt.err) {
					t.Fatalf("err %v, want KindRequest containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := wire(t, tr)
			for _, s := range tt.want {
				if !strings.Contains(w, s) {
					t.Errorf("wire lacks %s:\n%s", s, w)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(w, s) {
					t.Errorf("wire has %s:\n%s", s, w)
				}
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
		})
	}
}

func toolChoiceReq(mode, name string) chat.Request {
	return chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: text("x")}},
		Tools: []chat.Tool{readFileTool}, ToolChoice: &chat.ToolChoice{Mode: mode, Name: name}}
}

func TestOutputPlan(t *testing.T) {
	tests := []struct {
		max        int
		effort     string
		wantOut    int32
		wantBudget int32 // -2: nil
	}{
		{0, "", 0, -2},
		{0, "high", 0, 24576},
		{4096, "", 4096 + 8192, 8192},
		{4096, "minimal", 4096 + 128, 128},
		{60000, "", 65536, 5536},
		{65536, "", 65536, 128},
		{1 << 30, "high", 65536, 128},
	}
	for _, tt := range tests {
		out, b := outputPlan(tt.max, tt.effort)
		got := int32(-2)
		if b != nil {
			got = *b
		}
		if out != tt.wantOut || got != tt.wantBudget {
			t.Errorf("outputPlan(%d, %q) = %d, %d; want %d, %d", tt.max, tt.effort, out, got, tt.wantOut, tt.wantBudget)
		}
	}
}

func TestCallIDCoding(t *testing.T) {
	sig := make([]byte, 300)
	for i := range sig {
		sig[i] = byte(i)
	}
	key := newCallID()
	if !strings.HasPrefix(key, "call_") || len(key) != 31 || key == newCallID() {
		t.Fatalf("key %q", key)
	}
	for _, lead := range []bool{false, true} {
		id, inline := encodeCallID(key, sigRef{sig: sig, lead: lead}, 4096)
		if !inline {
			t.Fatal("should fit")
		}
		k, ref, ok := decodeCallID(id)
		if !ok || k != key || string(ref.sig) != string(sig) || ref.lead != lead {
			t.Fatalf("round trip of %q: %q %+v %v", id, k, ref, ok)
		}
		for _, c := range id {
			if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				t.Fatalf("id %q has %q, outside [A-Za-z0-9_-]", id, c)
			}
		}
	}
	if id, inline := encodeCallID(key, sigRef{sig: sig}, 100); inline || id != key {
		t.Fatalf("over-long id should fall back to the key, got %q", id)
	}
	// LiteLLM-style standard base64 with padding decodes too.
	k, ref, ok := decodeCallID("call_x__thought__" + base64.StdEncoding.EncodeToString(sig))
	if !ok || k != "call_x" || string(ref.sig) != string(sig) {
		t.Fatalf("std base64 payload: %q %v", k, ok)
	}
	if k, _, ok := decodeCallID("call_x__thought__%%%"); ok || k != "call_x" {
		t.Fatalf("garbage payload must read as absent, got %q %v", k, ok)
	}
}

func TestSigCacheBound(t *testing.T) {
	c := newSigCache(100)
	c.put("a", sigRef{sig: make([]byte, 60)})
	c.put("b", sigRef{sig: make([]byte, 30)})
	c.get("a") // a is now most recent
	c.put("c", sigRef{sig: make([]byte, 30)})
	if _, ok := c.get("b"); ok {
		t.Fatal("b should have been evicted (least recently used)")
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("a should remain")
	}
	if c.size > 100 {
		t.Fatalf("size %d over bound", c.size)
	}
}

// The placeholder goes on the wire as the SDKs send it.
func TestPlaceholderWire(t *testing.T) {
	b, _ := json.Marshal(&genai.Part{ThoughtSignature: placeholderSignature})
	want := base64.StdEncoding.EncodeToString([]byte("skip_thought_signature_validator"))
	if !strings.Contains(string(b), want) {
		t.Fatalf("%s, want %s", b, want)
	}
}
