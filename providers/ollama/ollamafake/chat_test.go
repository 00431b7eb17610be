package ollamafake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// lines decodes an NDJSON body.
func lines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %.300q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func final(t *testing.T, b []byte) map[string]any {
	t.Helper()
	ls := lines(t, b)
	if len(ls) == 0 || ls[len(ls)-1]["done"] != true {
		t.Fatalf("no done line in %.300s", b)
	}
	return ls[len(ls)-1]
}

// userPrompt is a chat body whose prompt is about n tokens by EstimateTokens.
func userPrompt(n int, extra string) string {
	msg := strings.Repeat("abcd", n)
	return `{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"` + msg + `"}]` + extra + `}`
}

func TestWindowAndTruncation(t *testing.T) {
	overhead := EstimateTokens(RenderChatML(&ChatRequest{Messages: []Message{{Role: "user"}}}))
	tests := []struct {
		name        string
		body        string
		wantStatus  int
		wantError   string
		wantPrompt  int // prompt_eval_count, when 200
		wantLoadCtx int
	}{
		{
			name: "fits-request-window", body: userPrompt(1000, `,"options":{"num_ctx":262144},"truncate":false`),
			wantStatus: 200, wantPrompt: 1000 + overhead, wantLoadCtx: 262144,
		},
		{
			name: "definition-window-when-request-has-none", body: userPrompt(140000, ``),
			// 131072 from the definition; truncated to half, silently.
			wantStatus: 200, wantPrompt: truncatedPromptTokens(131072), wantLoadCtx: 131072,
		},
		{
			name: "truncate-false-refuses", body: userPrompt(140000, `,"truncate":false`),
			wantStatus: 400, wantError: "the input length exceeds the context length",
		},
		{
			name: "request-window-avoids-truncation", body: userPrompt(140000, `,"options":{"num_ctx":262144},"truncate":false`),
			wantStatus: 200, wantPrompt: 140000 + overhead, wantLoadCtx: 262144,
		},
		{
			name: "request-window-capped-at-native", body: userPrompt(10, `,"options":{"num_ctx":1048576}`),
			wantStatus: 200, wantPrompt: 10 + overhead, wantLoadCtx: 262144,
		},
		{
			name: "truncate-true-keeps-half", body: userPrompt(70000, `,"options":{"num_ctx":65536},"truncate":true`),
			// ollama/ollama#17427: 65,535+ tokens at 65536 become 32,770.
			wantStatus: 200, wantPrompt: 32770, wantLoadCtx: 65536,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestServer(t, Options{})
			status, _, body := f.post("/api/chat", tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %.300s", status, tt.wantStatus, body)
			}
			if tt.wantStatus != 200 {
				var e map[string]string
				json.Unmarshal(body, &e)
				if e["error"] != tt.wantError {
					t.Fatalf("error %q, want %q", e["error"], tt.wantError)
				}
				return
			}
			if got := final(t, body)["prompt_eval_count"]; got != float64(tt.wantPrompt) {
				t.Errorf("prompt_eval_count %v, want %d", got, tt.wantPrompt)
			}
			_, _, ps := f.get("/api/ps")
			if !strings.Contains(string(ps), `"context_length":`+itoa(tt.wantLoadCtx)) {
				t.Errorf("ps %s, want context_length %d", ps, tt.wantLoadCtx)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDefaultContextWithoutDefinition(t *testing.T) {
	m := Qwen3Coder30B()
	m.DefinitionNumCtx = 0
	f := newTestServer(t, Options{Models: []Model{m}})
	status, _, body := f.post("/api/chat", userPrompt(5000, ``))
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if got := final(t, body)["prompt_eval_count"]; got != float64(truncatedPromptTokens(4096)) {
		t.Errorf("prompt_eval_count %v, want the 4096 default window truncated to %d", got, truncatedPromptTokens(4096))
	}
}

func TestChatErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantError  string
	}{
		{"empty-body", ``, 400, "missing request body"},
		{"invalid-json", `{"model":`, 400, "unexpected end of JSON input"},
		{"no-model", `{"messages":[]}`, 400, "model is required"},
		{"unknown-model", `{"model":"llama9:1b","messages":[]}`, 404, "model 'llama9:1b' not found"},
		{"think-without-capability", `{"model":"qwen3-coder:30b","messages":[],"think":true}`, 400, `"qwen3-coder:30b" does not support thinking`},
		{"think-level-without-capability", `{"model":"qwen3-coder:30b","messages":[],"think":"high"}`, 400, `"qwen3-coder:30b" does not support thinking`},
		{"think-bad-value", `{"model":"qwen3-coder:30b","messages":[],"think":"extreme"}`, 400, `invalid think value: "extreme" (must be "high", "medium", "low", true, or false)`},
		{"arguments-as-string", `{"model":"qwen3-coder:30b","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\"a\":1}"}}]}]}`, 400, errArgumentsNotObject.Error()},
		{"image-not-base64", `{"model":"qwen3-coder:30b","messages":[{"role":"user","images":["not base64!"]}]}`, 400, "illegal base64 data at input byte 3"},
		{"option-wrong-type", `{"model":"qwen3-coder:30b","messages":[],"options":{"num_ctx":"big"}}`, 500, `option "num_ctx" must be of type integer`},
		{"stop-not-strings", `{"model":"qwen3-coder:30b","messages":[],"options":{"stop":[1]}}`, 500, `option "stop" must be of an array of strings`},
		{"bad-format", `{"model":"qwen3-coder:30b","messages":[],"format":"yaml"}`, 500, `invalid format: "\"yaml\""; expected "json" or a valid JSON Schema object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestServer(t, Options{})
			status, _, body := f.post("/api/chat", tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			var e map[string]string
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if !strings.Contains(e["error"], tt.wantError) {
				t.Errorf("error %q, want it to contain %q", e["error"], tt.wantError)
			}
		})
	}
}

func TestThinkingModelAcceptsThink(t *testing.T) {
	m := Qwen3Coder30B()
	m.Capabilities = append(m.Capabilities, "thinking")
	f := newTestServer(t, Options{Models: []Model{m}})
	f.srv.Enqueue(Reply{Steps: []Step{{Thinking: "hmm"}, {Content: "ok"}}})
	status, _, body := f.post("/api/chat", `{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"x"}],"think":"low"}`)
	if status != 200 || !strings.Contains(string(body), `"thinking":"hmm"`) {
		t.Fatalf("status %d: %s", status, body)
	}
}

func TestNonStreaming(t *testing.T) {
	f := newTestServer(t, Options{})
	f.srv.Enqueue(Reply{Steps: []Step{{Content: "a"}, {Content: "b"}, {ToolCalls: []ScriptedCall{{Name: "f", Arguments: `{"x":1}`}}}}})
	status, hdr, body := f.post("/api/chat", `{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"x"}],"stream":false}`)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", status, hdr.Get("Content-Type"))
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if !r.Done || r.Message.Content != "ab" || len(r.Message.ToolCalls) != 1 || string(r.Message.ToolCalls[0].Function.Arguments) != `{"x":1}` || r.EvalCount == 0 {
		t.Errorf("got %s", body)
	}
}

func TestScriptedFailures(t *testing.T) {
	t.Run("mid-stream-error", func(t *testing.T) {
		f := newTestServer(t, Options{})
		f.srv.Enqueue(Reply{Steps: []Step{{Content: "par"}, {Error: "model runner has unexpectedly stopped"}}})
		status, _, body := f.post("/api/chat", userPrompt(10, ""))
		ls := lines(t, body)
		if status != 200 || len(ls) != 2 || ls[1]["error"] != "model runner has unexpectedly stopped" {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("cut", func(t *testing.T) {
		f := newTestServer(t, Options{})
		f.srv.Enqueue(Reply{Steps: []Step{{Content: "par"}, {Cut: true}}})
		_, _, body := f.post("/api/chat", userPrompt(10, ""))
		if !strings.Contains(string(body), "READ ERROR: unexpected EOF") || strings.Contains(string(body), `"done":true`) {
			t.Fatalf("body %.500s", body)
		}
	})
	t.Run("status", func(t *testing.T) {
		f := newTestServer(t, Options{})
		f.srv.Enqueue(Reply{Status: 503, Error: "server busy, please try again.  maximum pending requests exceeded"})
		status, _, body := f.post("/api/chat", userPrompt(10, ""))
		if status != 503 || !strings.Contains(string(body), "server busy") {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("num-predict-length", func(t *testing.T) {
		f := newTestServer(t, Options{})
		f.srv.Enqueue(Text("aaaa", "bbbb", "cccc", "dddd"))
		_, _, body := f.post("/api/chat", userPrompt(10, `,"options":{"num_predict":2}`))
		fl := final(t, body)
		if fl["done_reason"] != "length" || fl["eval_count"] != float64(2) || strings.Contains(string(body), "cccc") {
			t.Fatalf("body %.500s", body)
		}
	})
	t.Run("window-full-without-shift", func(t *testing.T) {
		f := newTestServer(t, Options{})
		f.srv.Enqueue(Text("aaaa", "bbbb", "cccc"))
		overhead := EstimateTokens(RenderChatML(&ChatRequest{Messages: []Message{{Role: "user"}}}))
		_, _, body := f.post("/api/chat", userPrompt(4096-overhead-1, `,"options":{"num_ctx":4096},"shift":false`))
		if fl := final(t, body); fl["done_reason"] != "length" || fl["eval_count"] != float64(1) {
			t.Fatalf("body %.500s", body)
		}
	})
	t.Run("reply-prefill-speed", func(t *testing.T) {
		f := newTestServer(t, Options{})
		// 1e6 tokens/s: the real wait for ~4000 tokens is a few milliseconds.
		f.srv.Enqueue(Reply{PrefillTokensPerSecond: 1e6, Steps: []Step{{Content: "x"}}})
		_, _, body := f.post("/api/chat", userPrompt(4000, `,"options":{"num_ctx":8192}`))
		fl := final(t, body)
		want := fl["prompt_eval_count"].(float64) / 1e6 * float64(time.Second)
		if got := fl["prompt_eval_duration"].(float64); got < want*0.999 || got > want*1.001 {
			t.Fatalf("prompt_eval_duration %v, want %v", got, want)
		}
	})
	t.Run("prefill-speed-reported", func(t *testing.T) {
		f := newTestServer(t, Options{PrefillTokensPerSecond: 400})
		_, _, body := f.post("/api/chat", userPrompt(4000, `,"options":{"num_ctx":8192}`))
		fl := final(t, body)
		want := float64(fl["prompt_eval_count"].(float64)) / 400 * float64(time.Second)
		if got := fl["prompt_eval_duration"].(float64); got < want*0.999 || got > want*1.001 {
			t.Fatalf("prompt_eval_duration %v, want %v", got, want)
		}
	})
}

func TestEchoAndRecording(t *testing.T) {
	f := newTestServer(t, Options{})
	status, _, body := f.post("/api/chat", `{"model":"qwen3-coder:30b","messages":[{"role":"USER","content":"hello there fake ollama, how are you"}],"options":{"num_ctx":262144},"truncate":false}`)
	if status != 200 {
		t.Fatal(status)
	}
	var text strings.Builder
	for _, l := range lines(t, body) {
		if m, ok := l["message"].(map[string]any); ok {
			text.WriteString(m["content"].(string))
		}
	}
	if text.String() != "You said: hello there fake ollama, how are you" {
		t.Errorf("echo %q", text.String())
	}
	reqs := f.srv.ChatRequests()
	if len(reqs) != 1 || reqs[0].NumCtx() != 262144 || reqs[0].Truncate == nil || *reqs[0].Truncate || reqs[0].Messages[0].Role != "user" || !reqs[0].Streaming() {
		t.Errorf("recorded %+v", reqs)
	}
	if all := f.srv.Requests(); len(all) != 1 || all[0].Path != "/api/chat" || !bytes.Contains(all[0].Raw, []byte(`"USER"`)) {
		t.Errorf("raw record %+v", all)
	}
}

func TestReloadOnWindowChange(t *testing.T) {
	f := newTestServer(t, Options{})
	for _, n := range []int{262144, 262144, 131072, 131072} {
		f.post("/api/chat", userPrompt(5, `,"options":{"num_ctx":`+itoa(n)+`}`))
	}
	if got := f.srv.Loads("qwen3-coder:30b"); got != 2 {
		t.Errorf("loads %d, want 2 (one load, one reload when num_ctx changed)", got)
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	f := newTestServer(t, Options{})
	for _, c := range []struct{ method, path string }{{"GET", "/api/chat"}, {"POST", "/v2/x"}, {"POST", "/api/ps"}} {
		status, _, body := f.do(c.method, c.path, "")
		if status != 404 || string(body) != "404 page not found" {
			t.Errorf("%s %s: %d %q", c.method, c.path, status, body)
		}
	}
}
