package responses

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

var fuzzSeeds = []string{
	`{"model":"auto","input":"hi"}`,
	`{"instructions":"s","input":[{"role":"user","content":"a"},{"type":"message","role":"developer","content":[{"type":"input_text","text":"d"},{"type":"input_image","image_url":"https://x/y.png"}]}]}`,
	`{"tools":[{"type":"function","name":"f","parameters":{"type":"object"}},{"type":"namespace","name":"n","tools":[{"type":"function","name":"f"}]},{"type":"web_search"}],"tool_choice":"required","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"r"}]}`,
	`{"reasoning":{"effort":"high"},"text":{"format":{"type":"json_object"}},"input":[{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":"x"},{"role":"assistant","content":[{"type":"output_text","text":"o"}]}]}`,
	`{"input":[{"type":"custom_tool_call","call_id":"c","name":"p","input":"x"},{"type":"custom_tool_call_output","call_id":"c","output":"ok"}],"Input":"x"}`,
	`{"input":"nope","store":true,"previous_response_id":""}`, `[]`, `{`, `null`, `{"input":[]}`, `{"input":[{"type":"web_search_call"}]}`,
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	_, body := codexCapture(f)
	f.Add(body)
}

// FuzzDecode: any body decodes to a request or to a 400 with a message;
// never a panic; an accepted request is consistent.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := New().Decode(nil, body)
		if err != nil {
			e, ok := err.(*ingress.Error)
			if !ok || req != nil || e.Status != 400 || e.Message == "" {
				t.Fatalf("bad error %#v for %q", err, body)
			}
			return
		}
		c := req.Chat
		if len(c.Messages) == 0 || c.MaxTokens < 0 {
			t.Fatalf("accepted %q as %+v", body, c)
		}
		for _, m := range c.Messages {
			switch {
			case m.Role == chat.RoleTool && (m.ToolCallID == "" || m.Content == nil):
				t.Fatalf("tool message %+v from %q", m, body)
			case m.Content == nil && m.Role != chat.RoleAssistant:
				t.Fatalf("%s message without content from %q", m.Role, body)
			}
			for _, tc := range m.ToolCalls {
				if tc.ID == "" || tc.Name == "" {
					t.Fatalf("tool call %+v from %q", tc, body)
				}
			}
		}
	})
}

// FuzzDecodeCached: the router's cut-up path (SplitBody, DecodeRest,
// DecodeMessage per item) gives exactly what Decode gives whenever it
// accepts a body, and accepts every body Decode accepts whose every item
// stands for a message.
func FuzzDecodeCached(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		d := New()
		r := httptest.NewRequest("POST", "/v1/responses", nil)
		want, err := d.Decode(r, body)
		got := ingresstest.Assembled(d, body, r)
		switch {
		case got != nil && err != nil:
			t.Fatalf("the cut-up path accepted %q, which Decode refuses: %v", body, err)
		case got != nil && !reflect.DeepEqual(got, want):
			t.Fatalf("for %q\ncut-up %+v\nDecode %+v", body, got.Chat, want.Chat)
		case got == nil && err == nil:
			s, ok := ingress.SplitBody(body, "input")
			if !ok {
				return
			}
			for _, raw := range s.Elements {
				if msgs, e := decodeItem(raw, ""); e == nil && len(msgs) == 0 {
					return // an item of no message: Decode's to judge
				}
			}
			t.Fatalf("the cut-up path declined %q, which Decode accepts", body)
		}
	})
}

// FuzzStream: any sequence of chunks gives well-formed events in
// Responses' order (checkEvents), ending with response.completed or
// response.incomplete exactly when End was called and response.failed
// otherwise, and no text or arguments lost.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6}, true)
	f.Add([]byte{2, 3, 2, 4, 0, 5, 12}, false)
	f.Add([]byte{5, 4, 3, 6, 6, 1, 0, 2}, true)
	f.Fuzz(func(t *testing.T, ops []byte, end bool) {
		a := New().NewAnswer(&ingress.Request{Chat: &chat.Request{}, Options: Options{Store: true, Custom: map[string]bool{"p": true}}},
			ingress.AnswerInfo{Model: "m", Created: time.Unix(1, 0)})
		var out []byte
		var text strings.Builder
		args := map[int]string{}
		var order []int // the calls' indexes, in the order they began
		for _, op := range ops {
			var c chat.Chunk
			i := int(op/7) % 3
			switch op % 7 {
			case 0:
				c.Reasoning = "think\n"
			case 1, 2:
				c.Content = "text \"q\""
				text.WriteString(c.Content)
			case 3:
				name := "f"
				if i == 2 {
					name = "p"
				}
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, ID: fmt.Sprint("call_", i), Name: name}}
			case 4:
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, Arguments: `{"input":`}}
			case 5:
				c.ToolCalls = []chat.ToolCallDelta{{Index: i, Arguments: `"x"}`}}
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
		evs := checkEvents(t, out)
		last := evs[len(evs)-1]
		if end != (last.typ == "response.completed") || !end && last.typ != "response.failed" {
			t.Fatalf("stream ends with %s (End called: %v)", last.typ, end)
		}
		if !end {
			return
		}
		var got strings.Builder
		gotArgs := map[string]string{}
		for _, ev := range evs {
			switch ev.typ {
			case "response.output_text.delta":
				got.WriteString(ev.Delta)
			case "response.function_call_arguments.delta":
				gotArgs[ev.ItemID] += ev.Delta
			}
		}
		if got.String() != text.String() {
			t.Fatalf("text %q, sent %q", got.String(), text.String())
		}
		var resp struct {
			Output []struct {
				Type, Arguments, Input string
				CallID                 string `json:"call_id"`
			} `json:"output"`
		}
		json.Unmarshal(last.Response, &resp)
		n := 0
		for _, it := range resp.Output {
			if it.Type != "function_call" && it.Type != "custom_tool_call" {
				continue
			}
			i := order[n]
			n++
			switch it.Type {
			case "function_call":
				if want := args[i]; want != "" && it.Arguments != want {
					t.Fatalf("call %s arguments %q, sent %q", it.CallID, it.Arguments, want)
				}
			case "custom_tool_call":
				if want := customInputOf([]byte(args[i])); args[i] != "" && it.Input != want {
					t.Fatalf("custom call %s input %q, want %q", it.CallID, it.Input, want)
				}
			}
		}
	})
}

type event struct {
	typ      string
	Seq      *int            `json:"sequence_number"`
	Type     string          `json:"type"`
	ItemID   string          `json:"item_id"`
	Index    *int            `json:"output_index"`
	Delta    string          `json:"delta"`
	Item     json.RawMessage `json:"item"`
	Response json.RawMessage `json:"response"`
}

// checkEvents parses a stream and holds it to the order OpenAI streams
// in: every event named as its type, sequence numbers 0, 1, 2, ...;
// response.created first; an item's deltas and done only after it was
// added, nothing about it after its done; and a closing event
// (completed, incomplete, failed) last, and only once.
func checkEvents(t *testing.T, stream []byte) []event {
	t.Helper()
	var evs []event
	sc := bufio.NewScanner(bytes.NewReader(stream))
	sc.Buffer(nil, 1<<20)
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var ev event
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
				t.Fatalf("bad event %q: %v", line, err)
			}
			ev.typ = name
			evs = append(evs, ev)
		default:
			t.Fatalf("bad line %q", line)
		}
	}
	if len(evs) < 2 || evs[0].typ != "response.created" || evs[1].typ != "response.in_progress" {
		t.Fatalf("the stream does not open with created, in_progress:\n%s", stream)
	}
	state := map[string]string{} // item_id → added, done
	for i, ev := range evs {
		if ev.Type != ev.typ || ev.Seq == nil || *ev.Seq != i {
			t.Fatalf("event %d: %s with type %q, sequence_number %v", i, ev.typ, ev.Type, ev.Seq)
		}
		closing := ev.typ == "response.completed" || ev.typ == "response.incomplete" || ev.typ == "response.failed"
		if closing != (i == len(evs)-1) {
			t.Fatalf("event %d of %d is %s", i, len(evs), ev.typ)
		}
		switch {
		case ev.typ == "response.output_item.added" || ev.typ == "response.output_item.done":
			var it struct{ ID string }
			json.Unmarshal(ev.Item, &it)
			want, next := "", "added"
			if ev.typ == "response.output_item.done" {
				want, next = "added", "done"
			}
			if state[it.ID] != want {
				t.Fatalf("%s for %s, which is %q", ev.typ, it.ID, state[it.ID])
			}
			state[it.ID] = next
		case ev.ItemID != "" && state[ev.ItemID] != "added":
			t.Fatalf("%s for %s, which is %q", ev.typ, ev.ItemID, state[ev.ItemID])
		}
	}
	if last := evs[len(evs)-1]; last.typ == "response.completed" {
		for id, s := range state {
			if s != "done" {
				t.Fatalf("the response completed with item %s %s", id, s)
			}
		}
	}
	return evs
}

func TestStoreBounds(t *testing.T) {
	var s store
	msg := []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: strings.Repeat("x", 1<<20)}}}}
	for i := range storeResponses + 10 {
		s.put(fmt.Sprint("r", i), msg)
	}
	if _, ok := s.get("r0"); ok {
		t.Error("the oldest response outlived the bound")
	}
	if _, ok := s.get(fmt.Sprint("r", storeResponses+9)); !ok {
		t.Error("the newest response is gone")
	}
	if s.order.Len() > storeResponses || s.bytes > storeBytes {
		t.Errorf("%d responses, %d bytes kept", s.order.Len(), s.bytes)
	}
	if s.order.Len() != storeBytes/size(msg) {
		t.Errorf("%d responses of 1 MiB kept, want %d", s.order.Len(), storeBytes/size(msg))
	}
}
