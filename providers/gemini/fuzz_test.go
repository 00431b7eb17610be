package gemini

import (
	"encoding/json"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// fuzzReq is a loose OpenAI-shaped body the fuzzer mutates; it becomes a
// chat.Request the way an ingress decoder would build one.
type fuzzReq struct {
	Messages []struct {
		Role       string `json:"role"`
		Content    string `json:"content"`
		Image      string `json:"image"`
		ToolCallID string `json:"tool_call_id"`
		Name       string `json:"name"`
		ToolCalls  []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"tools"`
	ToolChoice     *chat.ToolChoice     `json:"tool_choice"`
	MaxTokens      int                  `json:"max_tokens"`
	Effort         string               `json:"reasoning_effort"`
	Temperature    *float64             `json:"temperature"`
	Seed           *int64               `json:"seed"`
	Stop           []string             `json:"stop"`
	ResponseFormat *chat.ResponseFormat `json:"response_format"`
}

func (f *fuzzReq) request() *chat.Request {
	r := &chat.Request{ToolChoice: f.ToolChoice, MaxTokens: f.MaxTokens, ReasoningEffort: f.Effort,
		Temperature: f.Temperature, Seed: f.Seed, Stop: f.Stop, ResponseFormat: f.ResponseFormat}
	for _, m := range f.Messages {
		pm := chat.Message{Role: chat.Role(m.Role), ToolCallID: m.ToolCallID, Name: m.Name}
		if m.Content != "" {
			pm.Content = append(pm.Content, chat.Part{Type: chat.PartText, Text: m.Content})
		}
		if m.Image != "" {
			pm.Content = append(pm.Content, chat.Part{Type: chat.PartImage, ImageURL: m.Image})
		}
		for _, tc := range m.ToolCalls {
			pm.ToolCalls = append(pm.ToolCalls, chat.ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
		r.Messages = append(r.Messages, pm)
	}
	for _, t := range f.Tools {
		r.Tools = append(r.Tools, chat.Tool{Name: t.Name, Parameters: t.Parameters})
	}
	return r
}

// FuzzTranslate: any request either translates into contents Gemini would
// accept structurally (non-empty, alternating roles, no empty content, a
// signature on the first call of every model turn) or fails with a
// KindRequest error — never a panic.
func FuzzTranslate(f *testing.F) {
	seeds := []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"system","content":"s"}]}`,
		`{"messages":[{"role":"user","content":"a","image":"data:image/png;base64,iVBORw0KGgo="},{"role":"assistant","content":"b","tool_calls":[{"id":"call_1__thought__AAEC","name":"f","arguments":"{\"a\":1}"}]},{"role":"tool","tool_call_id":"call_1__thought__AAEC","content":"[1]"}],"tools":[{"name":"f","parameters":{"type":"object"}}],"tool_choice":{"Mode":"function","Name":"f"}}`,
		`{"messages":[{"role":"assistant","tool_calls":[{"id":"","name":"g","arguments":"nope"}]},{"role":"tool","name":"g","content":"x"},{"role":"user","image":"https://x/y.png"}],"max_tokens":70000,"reasoning_effort":"high","stop":["a"]}`,
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","parameters":{"$ref":"#/$defs/a","type":"object","$defs":{"a":{}}}}],"response_format":{"Type":"json_schema","Schema":{"$ref":"#/x","x":1}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	p := offlineProvider(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr fuzzReq
		if json.Unmarshal(data, &fr) != nil {
			return
		}
		tr, err := p.translate(fr.request())
		if err != nil {
			if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindRequest {
				t.Fatalf("error %v is not a KindRequest provider error", err)
			}
			return
		}
		if _, err := json.Marshal(map[string]any{"c": tr.contents, "g": tr.config}); err != nil {
			t.Fatalf("untranslatable to JSON: %v", err)
		}
		if len(tr.contents) == 0 {
			t.Fatal("empty contents")
		}
		for i, c := range tr.contents {
			if c.Role != "user" && c.Role != "model" {
				t.Fatalf("contents[%d] role %q", i, c.Role)
			}
			if i > 0 && c.Role == tr.contents[i-1].Role {
				t.Fatalf("contents[%d] repeats role %q", i, c.Role)
			}
			if len(c.Parts) == 0 {
				t.Fatalf("contents[%d] has no parts", i)
			}
			for _, part := range c.Parts {
				if part.FunctionCall != nil {
					if len(part.ThoughtSignature) == 0 && len(c.Parts[0].ThoughtSignature) == 0 {
						t.Fatalf("contents[%d]: first call unsigned", i)
					}
					break
				}
			}
		}
		if g := tr.config; g.MaxOutputTokens < 0 || g.MaxOutputTokens > outputCap {
			t.Fatalf("maxOutputTokens %d", g.MaxOutputTokens)
		}
	})
}

// FuzzCallID: decoding never panics, and whatever encodeCallID produces
// decodes back to the same key and signature.
func FuzzCallID(f *testing.F) {
	f.Add("call_abc", []byte("sig"), false)
	f.Add("call_x__thought__", []byte{}, true)
	f.Fuzz(func(t *testing.T, key string, sig []byte, lead bool) {
		decodeCallID(key)
		if len(sig) == 0 || len(key) == 0 {
			return
		}
		k := newCallID()
		id, inline := encodeCallID(k, sigRef{sig: sig, lead: lead}, 1<<20)
		if !inline {
			t.Fatal("should fit")
		}
		gk, ref, ok := decodeCallID(id)
		if !ok || gk != k || string(ref.sig) != string(sig) || ref.lead != lead {
			t.Fatalf("round trip failed for %q", id)
		}
	})
}
