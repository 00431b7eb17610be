package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
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

var fuzzSeeds = []string{
	`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
	`{"systemInstruction":{"parts":[{"text":"s"}]},"contents":[{"parts":[{"text":"a"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}],"generationConfig":{"temperature":0.5,"thinkingConfig":{"thinkingBudget":0}}}`,
	`{"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT"}}]},{"googleSearch":{}}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}},"contents":[{"role":"user","parts":[{"text":"go"}]},{"role":"model","parts":[{"text":"t","thought":true},{"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"c2ln"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"r"}}},{"text":"more"}]}]}`,
	`{"contents":[{"parts":[{"text":"x"}]}],"Contents":[{"parts":[{"text":"y"}]}]}`,
	`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object"}}}`,
	`{"contents":"nope"}`, `[]`, `{`, `null`, `{"contents":[{"parts":[]}]}`,
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	if raw, err := os.ReadFile("testdata/gemini-cli-0.61.json"); err == nil {
		var c struct{ Body json.RawMessage }
		if json.Unmarshal(raw, &c) == nil {
			f.Add([]byte(c.Body))
		}
	}
}

// FuzzDecode: any body decodes to a request or to a 400 invalid_request
// with a message, never a panic; an accepted request is consistent; and the
// router's cut-up path gives exactly what Decode gives whenever it accepts
// a body, and accepts every body Decode accepts that SplitBody can cut.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1beta/models/auto:streamGenerateContent?alt=sse", nil)
		want, err := Dialect{}.Decode(r, body)
		if err != nil {
			e, ok := err.(*ingress.Error)
			if !ok || want != nil || e.Status != 400 || e.Code != ingress.CodeInvalidRequest || e.Message == "" {
				t.Fatalf("bad error %#v for %q", err, body)
			}
		} else {
			for _, m := range want.Chat.Messages {
				switch {
				case m.Role == chat.RoleTool && (m.ToolCallID == "" || m.Content == nil):
					t.Fatalf("tool message %+v from %q", m, body)
				case m.Content == nil && m.Role != chat.RoleAssistant:
					t.Fatalf("%s message without content from %q", m.Role, body)
				}
				for _, tc := range m.ToolCalls {
					if !json.Valid([]byte(tc.Arguments)) || tc.ID == "" || tc.Name == "" {
						t.Fatalf("tool call %+v from %q", tc, body)
					}
				}
			}
		}
		got := ingresstest.Assembled(Dialect{}, body, r)
		switch {
		case got != nil && err != nil:
			t.Fatalf("the cut-up path accepted %q, which Decode refuses: %v", body, err)
		case got != nil && !reflect.DeepEqual(got, want):
			t.Fatalf("for %q\ncut-up %+v\nDecode %+v", body, got.Chat, want.Chat)
		case got == nil && err == nil:
			if _, ok := ingress.SplitBody(body, "contents"); ok {
				t.Fatalf("the cut-up path declined %q, which Decode accepts", body)
			}
		}
	})
}

// streamResponses reads a stream in either form back into its responses:
// every data event of alt=sse, or the elements of the one JSON array. Any
// framing a client could not read fails the test.
func streamResponses(t *testing.T, out []byte, sse bool) []response {
	t.Helper()
	var rs []response
	if !sse {
		if err := json.Unmarshal(out, &rs); err != nil {
			t.Fatalf("the array form is not one JSON array: %v\n%q", err, out)
		}
		return rs
	}
	for _, ev := range strings.Split(string(out), "\n\n") {
		ev = strings.Trim(ev, "\n")
		if ev == "" {
			continue // a keep-alive
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("not one data line: %q", ev)
		}
		var r response
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// FuzzStream: any sequence of chunks, keep-alives and an end or a failure
// gives a stream a client reads in both forms; the text is what was sent;
// each call comes once, whole, with the arguments it was sent (an object)
// in the order the calls began; only an End's last response has a
// finishReason, and a Fail's last is Google's error with none anywhere.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6}, true, true)
	f.Add([]byte{2, 3, 2, 4, 0, 5, 13}, false, true)
	f.Add([]byte{5, 4, 3, 6, 6, 1, 0, 2, 10}, true, false)
	f.Fuzz(func(t *testing.T, ops []byte, end, sse bool) {
		a := newAnswer(sse)
		var out []byte
		var text strings.Builder
		args := map[int]string{}
		named := map[int]bool{} // the calls sent with an id
		var order []int
		for _, op := range ops {
			var c chat.Chunk
			i := int(op/7) % 3
			switch op % 7 {
			case 0:
				c.Reasoning = "think\n"
			case 1, 2:
				c.Content = "text \"q\"\n"
				text.WriteString(c.Content)
			case 3:
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, ID: fmt.Sprint("call_", i), Name: "f"}}
				named[i] = true
			case 4:
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, Arguments: `{"x":`}}
			case 5:
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, Arguments: `"y"}`}}
			case 6:
				out = append(out, a.KeepAlive()...)
				continue
			}
			for _, d := range c.ToolCalls {
				if _, ok := args[d.Index]; !ok {
					order = append(order, d.Index)
				}
				args[d.Index] += d.Arguments
			}
			out = append(out, a.Chunk(&c)...)
		}
		if end {
			out = append(out, a.End(chat.FinishStop, nil)...)
		} else {
			out = append(out, a.Fail(ingress.Errorf(502, ingress.CodeUpstreamError, "cut"))...)
		}
		rs := streamResponses(t, out, sse)
		if len(rs) == 0 {
			t.Fatalf("no response in %q", out)
		}
		for k, r := range rs[:len(rs)-1] {
			if r.Error != nil || len(r.Candidates) != 1 || r.Candidates[0].FinishReason != "" {
				t.Fatalf("response %d of %d is an error or finishes: %+v", k, len(rs), r)
			}
		}
		last := rs[len(rs)-1]
		if !end {
			if last.Error == nil || last.Error.Code != 502 || len(last.Candidates) != 0 {
				t.Fatalf("a failed stream ends with %+v", last)
			}
			return
		}
		if last.Error != nil || len(last.Candidates) != 1 || last.Candidates[0].FinishReason != "STOP" || last.UsageMetadata["promptTokenCount"] != 9 {
			t.Fatalf("an ended stream ends with %+v", last)
		}
		var got strings.Builder
		var calls []string
		for _, r := range rs {
			for _, p := range r.Candidates[0].Content.Parts {
				if s, ok := p["text"].(string); ok && p["thought"] == nil {
					got.WriteString(s)
				}
				if fc, ok := p["functionCall"].(map[string]any); ok {
					b, _ := json.Marshal(fc["args"])
					id := fmt.Sprint(fc["id"])
					if !strings.HasPrefix(id, "call_") {
						t.Fatalf("call id %q", id)
					}
					calls = append(calls, id+" "+string(b))
				}
			}
		}
		var want []string
		for k, i := range order {
			a, ok := args[i], true
			if a != "" {
				var v map[string]any
				ok = json.Unmarshal([]byte(a), &v) == nil && v != nil
			}
			if !ok || a == "" {
				a = "{}"
			}
			b := new(bytes.Buffer)
			json.Compact(b, []byte(a))
			id := fmt.Sprint("call_", i)
			if !named[i] && k < len(calls) {
				id, _, _ = strings.Cut(calls[k], " ") // one switchyard made up
			}
			want = append(want, id+" "+b.String())
		}
		// A call whose arguments are not an object goes with {} after a
		// text part that quotes them: the text holds more than was sent,
		// so the sent text is counted, not compared.
		if strings.Count(got.String(), "text \"q\"\n") != strings.Count(text.String(), "text \"q\"\n") {
			t.Errorf("text %q, want %q", got.String(), text.String())
		}
		if !slices.Equal(calls, want) {
			t.Errorf("calls %q, want %q", calls, want)
		}
	})
}
