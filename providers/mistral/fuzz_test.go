package mistral

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
)

// openAIRequest is just enough of an OpenAI chat request to build a
// chat.Request from fuzz input, the way an ingress decoder would.
type openAIRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      bool            `json:"strict"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	PresencePenalty   *float64        `json:"presence_penalty"`
	Seed              *int64          `json:"seed"`
	MaxTokens         int             `json:"max_tokens"`
	Stop              []string        `json:"stop"`
	User              string          `json:"user"`
	ReasoningEffort   string          `json:"reasoning_effort"`
	ResponseFormat    *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

func (o *openAIRequest) toRequest() *chat.Request {
	r := &chat.Request{Model: o.Model, ParallelToolCalls: o.ParallelToolCalls, Temperature: o.Temperature,
		TopP: o.TopP, PresencePenalty: o.PresencePenalty, Seed: o.Seed, MaxTokens: o.MaxTokens, Stop: o.Stop,
		User: o.User, ReasoningEffort: o.ReasoningEffort}
	for _, m := range o.Messages {
		pm := chat.Message{Role: chat.Role(m.Role), Name: m.Name, ToolCallID: m.ToolCallID}
		if m.Role == "developer" {
			pm.Role = chat.RoleSystem
		}
		var s string
		var parts []struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			ImageURL struct {
				URL    string `json:"url"`
				Detail string `json:"detail"`
			} `json:"image_url"`
		}
		if json.Unmarshal(m.Content, &s) == nil {
			pm.Content = []chat.Part{{Type: chat.PartText, Text: s}}
		} else if json.Unmarshal(m.Content, &parts) == nil {
			for _, p := range parts {
				if p.Type == "image_url" {
					pm.Content = append(pm.Content, chat.Part{Type: chat.PartImage, ImageURL: p.ImageURL.URL, Detail: p.ImageURL.Detail})
				} else {
					pm.Content = append(pm.Content, chat.Part{Type: chat.PartText, Text: p.Text})
				}
			}
		}
		for _, c := range m.ToolCalls {
			pm.ToolCalls = append(pm.ToolCalls, chat.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
		}
		r.Messages = append(r.Messages, pm)
	}
	for _, t := range o.Tools {
		r.Tools = append(r.Tools, chat.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters, Strict: t.Function.Strict})
	}
	var mode string
	var fn struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(o.ToolChoice, &mode) == nil {
		r.ToolChoice = &chat.ToolChoice{Mode: mode}
	} else if json.Unmarshal(o.ToolChoice, &fn) == nil && fn.Function.Name != "" {
		r.ToolChoice = &chat.ToolChoice{Mode: "function", Name: fn.Function.Name}
	}
	if rf := o.ResponseFormat; rf != nil {
		r.ResponseFormat = &chat.ResponseFormat{Type: rf.Type}
		if rf.JSONSchema != nil {
			r.ResponseFormat.Name, r.ResponseFormat.Schema, r.ResponseFormat.Strict = rf.JSONSchema.Name, rf.JSONSchema.Schema, rf.JSONSchema.Strict
		}
	}
	return r
}

var fuzzSeeds = []string{
	`{"model":"auto","messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"auto","messages":[{"role":"developer","content":"be terse"},{"role":"user","name":"bob","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}}]}],"temperature":2,"seed":-9,"user":"u","stop":["\n"]}`,
	`{"model":"auto","messages":[{"role":"user","content":"go"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","function":{"name":"read","arguments":"{\"p\":1}"}},{"id":"XyZ123abc","function":{"name":"ls","arguments":""}}]},{"role":"tool","tool_call_id":"XyZ123abc","content":""},{"role":"tool","tool_call_id":"call_abc","content":"x"},{"role":"user","content":"next"},{"role":"assistant","content":"Sure"}],"tools":[{"function":{"name":"read","parameters":{"type":"object"}}},{"function":{"name":"ls"}}],"tool_choice":"required","parallel_tool_calls":false}`,
	`{"model":"mistral-medium-latest","messages":[{"role":"system","content":""},{"role":"user","content":"q"},{"role":"assistant","content":""},{"role":"system","content":"reminder"},{"role":"user","content":"x"}],"reasoning_effort":"low","response_format":{"type":"json_schema","json_schema":{"name":"","schema":{"type":"object"}}}}`,
	`{"messages":[{"role":"user","content":"a"},{"role":"assistant","tool_calls":[{"function":{"name":"f"}}]},{"role":"tool","content":"r"},{"role":"system","content":"s"}],"tools":[{"function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
}

// FuzzSanitize checks, for any OpenAI-shaped request, that the sanitizer
// either refuses it with an error or produces a body that Mistral's rules
// (as the fake enforces them) accept, the same body every time.
func FuzzSanitize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var o openAIRequest
		if json.Unmarshal(data, &o) != nil {
			return
		}
		model := "devstral-latest"
		if reasoningModels[o.Model] {
			model = o.Model
		}
		req := o.toRequest()
		w, err := sanitize(req, model)
		if err != nil {
			return
		}
		body, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if rej := mistralfake.CheckChatRequest(body); rej != nil {
			t.Fatalf("Mistral would refuse the sanitized request: %v\nin:  %s\nout: %s", rej, data, body)
		}
		again, _ := sanitize(req, model)
		body2, _ := json.Marshal(again)
		if !bytes.Equal(body, body2) {
			t.Fatalf("sanitize is not deterministic:\n%s\n%s", body, body2)
		}
	})
}

// FuzzDecodeEvent feeds arbitrary stream events to the decoder: it may
// refuse them, never panic, and every tool call it emits has an index no
// greater than the number of calls seen.
func FuzzDecodeEvent(f *testing.F) {
	for _, name := range []string{"stream_tool_calls.sse", "stream_text.sse", "stream_reasoning.sse"} {
		b, err := os.ReadFile("mistralfake/testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok && data != "[DONE]" {
				f.Add([]byte(data))
			}
		}
	}
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"arguments":{"a":1}}},{"id":"x"},{}]}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := &stream{p: &Provider{name: "devstral"}}
		for range 2 {
			c, err := s.decode(raw)
			if err != nil {
				return
			}
			for _, d := range c.ToolCalls {
				if d.Index < 0 || d.Index >= len(s.calls) {
					t.Fatalf("index %d with %d calls", d.Index, len(s.calls))
				}
			}
		}
	})
}
