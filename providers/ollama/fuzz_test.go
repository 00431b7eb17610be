package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// FuzzNDJSON feeds arbitrary bodies to the stream reader. Whatever the
// body, the reader ends (no hang), never panics, reports failures as
// *providers.Error, says io.EOF only after a chunk with FinishReason, and
// numbers tool calls 0, 1, 2, … with arguments that are JSON objects.
// Seeds: testdata/fuzz/FuzzNDJSON.
func FuzzNDJSON(f *testing.F) {
	f.Add([]byte(`{"message":{"content":"a"},"done":false}` + "\n" + `{"done":true,"done_reason":"stop"}` + "\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newStream(New(Options{Name: "fuzz"}), context.Background(), io.NopCloser(bytes.NewReader(body)), 8192)
		defer s.Close()
		finished := false
		next := 0
		for i := 0; ; i++ {
			if i > len(body)+2 {
				t.Fatalf("more chunks than bytes: the reader does not advance")
			}
			c, err := s.Next()
			if errors.Is(err, io.EOF) {
				if !finished {
					t.Fatal("io.EOF without a finish reason")
				}
				return
			}
			if err != nil {
				if _, ok := providers.AsError(err); !ok {
					t.Fatalf("error %v is not a *providers.Error", err)
				}
				return
			}
			if finished {
				t.Fatal("a chunk after the final one")
			}
			for _, tc := range c.ToolCalls {
				if tc.Index != next {
					t.Fatalf("tool call index %d, want %d", tc.Index, next)
				}
				next++
				var obj map[string]any
				if json.Unmarshal([]byte(tc.Arguments), &obj) != nil {
					t.Fatalf("arguments %q are not a JSON object", tc.Arguments)
				}
			}
			finished = c.FinishReason != ""
		}
	})
}

// FuzzTranslate decodes arbitrary JSON as a chat.Request and
// translates it. Either the job is refused with a KindRequest error, or the
// body is one Ollama's own decoder accepts (checked with the fake's
// decoder, which enforces Ollama's rules) and carries the invariants:
// num_ctx, truncate:false, stream:true, one message per message.
// Seeds: testdata/fuzz/FuzzTranslate.
func FuzzTranslate(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`), false)
	f.Fuzz(func(t *testing.T, data []byte, thinks bool) {
		var req chat.Request
		if json.Unmarshal(data, &req) != nil {
			return
		}
		p := New(Options{Name: "fuzz", Model: "qwen3-coder:30b"})
		mode := thinkNone
		if thinks {
			mode = thinkOnOff
		}
		out, err := p.translate(&req, 8192, mode)
		if err != nil {
			if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindRequest {
				t.Fatalf("error %v is not a KindRequest *providers.Error", err)
			}
			return
		}
		raw, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		// What is sent is encoded a message at a time; it must be the
		// same bytes.
		if sent := readChatBody(t, out); !bytes.Equal(sent, raw) {
			t.Fatalf("sent %s\nwant %s", sent, raw)
		}
		var got ollamafake.ChatRequest
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("Ollama would reject the body: %v\n%s", err, raw)
		}
		if got.NumCtx() != 8192 || got.Truncate == nil || *got.Truncate || !got.Streaming() || got.Model != "qwen3-coder:30b" {
			t.Fatalf("invariants broken: %s", raw)
		}
		if len(got.Messages) != len(req.Messages) {
			t.Fatalf("%d messages in, %d out", len(req.Messages), len(got.Messages))
		}
		if !thinks && got.Think != nil {
			t.Fatalf("think sent to a model without thinking: %s", raw)
		}
	})
}

// FuzzDecodeTokenLine: a line decodeTokenLine accepts decodes exactly as
// json.Unmarshal decodes it.
func FuzzDecodeTokenLine(f *testing.F) {
	for _, s := range []string{
		`{"model":"qwen3-coder:30b","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"Hel"},"done":false}`,
		`{"model":"m","message":{"role":"assistant","content":"a\n\"b\"\u00e9\ud83d\ude00","thinking":"t"},"done":false}`,
		` { "done" : false , "message" : { "content" : "" } } `,
		`{"model":"m","message":{"role":"assistant","content":"x"},"done":true,"done_reason":"stop","eval_count":3}`,
		`{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","total_duration":1234567890,"load_duration":-1,"prompt_eval_count":146760,"prompt_eval_duration":0,"eval_count":0,"eval_duration":9223372036854775807}`,
		`{"eval_count":01}`, `{"eval_count":1.5}`, `{"eval_count":1e3}`, `{"eval_count":-}`, `{"total_duration":9223372036854775808}`,
		`{"Model":"m","message":{"content":"x"}}`,
		`{"message":{"content":"x","content":"y"},"done":falsey}`,
		`{"message":{"content":"x","role":"a"},"message":{"content":"y"}}`,
		`{"message":null}`, `{"error":"boom"}`, "{\"message\":{\"content\":\"\xff\"}}", `{}`, `{"done":true}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, slow chatResponse
		var msg chatMessage
		if !decodeTokenLine(line, &fast, &msg) {
			return
		}
		if err := json.Unmarshal(line, &slow); err != nil {
			t.Fatalf("%q: accepted, but json.Unmarshal says %v", line, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %+v %+v\nslow %+v %+v", line, fast, fast.Message, slow, slow.Message)
		}
		// The same line again, as the next line of a stream reads it: the
		// previous model's name known, the message reused.
		if !decodeTokenLine(line, &fast, &msg) {
			t.Fatalf("%q: accepted once, refused the second time", line)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q, read again:\nfast %+v %+v\nslow %+v %+v", line, fast, fast.Message, slow, slow.Message)
		}
	})
}
