package geminifake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
)

const streamPath = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"

func post(t *testing.T, s *Server, path, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-goog-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func errorOf(t *testing.T, b []byte) apiErrorBody {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e.Error
}

const hello = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`

func TestRules(t *testing.T) {
	s := New(Options{Key: "k"})
	defer s.Close()
	tests := []struct {
		name, key, body string
		status          int
		want            string
	}{
		{"no-key", "", hello, 403, "unregistered callers"},
		{"wrong-key", "nope", hello, 400, "API key not valid"},
		{"empty-contents", "k", `{"contents":[]}`, 400, "contents is not specified"},
		{"bad-role", "k", `{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, 400, "valid role: user, model"},
		{"no-alternation", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"user","parts":[{"text":"b"}]}]}`, 400, "alternate between user and model"},
		{"empty-parts", "k", `{"contents":[{"role":"user","parts":[]}]}`, 400, "must not be empty"},
		{"two-data-fields", "k", `{"contents":[{"role":"user","parts":[{"text":"a","inlineData":{"mimeType":"image/png","data":"AA=="}}]}]}`, 400, "oneof field 'data'"},
		{"snake-case-field", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]}],"generation_config":{}}`, 400, "Invalid JSON payload"},
		{"unnamed-function-response", "k", `{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"","response":{}}}]}]}`, 400, "Name cannot be empty"},
		{"undeclared-function-response", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f"},"thoughtSignature":"skip_thought_signature_validator"}]},{"role":"user","parts":[{"functionResponse":{"name":"g","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 400, "not declared"},
		{"missing-signature", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":1}}}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 400, "missing a thought_signature"},
		{"forged-signature", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"AAAA"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 400, "Corrupted thought signature"},
		{"placeholder-literal", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 200, ""},
		{"placeholder-ascii-base64", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"` + base64.StdEncoding.EncodeToString([]byte("skip_thought_signature_validator")) + `"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 200, ""},
		{"old-turn-unsigned-ok", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}},{"text":"now something else"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, 200, ""},
		{"budget-zero", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`, 400, "only works in thinking mode"},
		{"max-output-too-big", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]}],"generationConfig":{"maxOutputTokens":70000}}`, 400, "maxOutputTokens value of 70000"},
		{"penalty", "k", `{"contents":[{"role":"user","parts":[{"text":"a"}]}],"generationConfig":{"presencePenalty":0.5}}`, 400, "Penalty is not enabled for models/gemini-2.5-pro"},
		{"unknown-model", "k", hello, 404, "is not found for API version v1beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := streamPath
			if tt.name == "unknown-model" {
				path = "/v1beta/models/gemini-0.1-nope:streamGenerateContent?alt=sse"
			}
			resp, b := post(t, s, path, tt.key, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, b)
			}
			if tt.want != "" {
				if e := errorOf(t, b); !strings.Contains(e.Message, tt.want) || e.Code != tt.status {
					t.Fatalf("error %+v, want %q", e, tt.want)
				}
			}
		})
	}
}

func TestSSEFraming(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Enqueue(Reply{Text: []string{"a", "b"}, Calls: []Call{{Name: "f", Args: map[string]any{"x": 1.0}}}})
	resp, b := post(t, s, streamPath, "fake-key", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if bytes.Contains(b, []byte("[DONE]")) {
		t.Fatal("Gemini streams have no [DONE]")
	}
	events := bytes.Split(bytes.TrimSuffix(b, []byte("\r\n\r\n")), []byte("\r\n\r\n"))
	if len(events) != 3 {
		t.Fatalf("%d events, want 3:\n%s", len(events), b)
	}
	for i, ev := range events {
		if !bytes.HasPrefix(ev, []byte("data: ")) || bytes.ContainsAny(ev, "\n") {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
	}
	var last response
	if err := json.Unmarshal(bytes.TrimPrefix(events[2], []byte("data: ")), &last); err != nil {
		t.Fatal(err)
	}
	p := last.Candidates[0].Content.Parts[0]
	if last.Candidates[0].FinishReason != "STOP" || p.FunctionCall == nil || p.ThoughtSignature == "" || last.UsageMetadata == nil {
		t.Fatalf("last event %+v", last)
	}
	sig, _ := base64.StdEncoding.DecodeString(p.ThoughtSignature)
	if !s.Issued(sig) {
		t.Fatal("signature not recorded as issued")
	}
}

// The fake's events have the shape of the recorded-looking sample.
func TestEventsMatchSampleShape(t *testing.T) {
	raw, err := os.ReadFile("testdata/stream_function_call.sse")
	if err != nil {
		t.Fatal(err)
	}
	var sample response
	last := bytes.Split(bytes.TrimSpace(raw), []byte("\r\n\r\n"))[1]
	if err := json.Unmarshal(bytes.TrimPrefix(last, []byte("data: ")), &sample); err != nil {
		t.Fatal(err)
	}
	s := New(Options{})
	defer s.Close()
	evs := s.events("gemini-2.5-pro", CallsReply(Call{Name: "read_file", Args: map[string]any{"path": "x"}}), 10)
	got, want := keysOf(t, evs[len(evs)-1]), keysOf(t, sample)
	for k := range want {
		if !got[k] && k != "usageMetadata.promptTokensDetails" && k != "usageMetadata.thoughtsTokenCount" {
			t.Errorf("fake lacks %s", k)
		}
	}
}

func keysOf(t *testing.T, v any) map[string]bool {
	b, _ := json.Marshal(v)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				out[prefix+k] = true
				walk(prefix+k+".", c)
			}
		case []any:
			for _, c := range x {
				walk(prefix, c)
			}
		}
	}
	walk("", m)
	return out
}

func TestScriptTimesAndRecording(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Enqueue(Reply{Status: 429, RetryDelay: "3s", Times: 2}, TextReply("fine"))
	for i, want := range []int{429, 429, 200} {
		resp, b := post(t, s, streamPath, "fake-key", hello)
		if resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 {
			e := errorOf(t, b)
			if e.Status != "RESOURCE_EXHAUSTED" || e.Details[0]["retryDelay"] != "3s" {
				t.Fatalf("429 body %+v", e)
			}
		}
	}
	recs := s.Requests()
	if len(recs) != 3 || recs[0].Request == nil || recs[0].Request.Contents[0].Parts[0].Text != "hi" || !recs[0].Stream || recs[0].Model != "gemini-2.5-pro" {
		t.Fatalf("records %+v", recs)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			resp, err := http.Post(s.URL+streamPath+"&key=fake-key", "application/json", strings.NewReader(hello))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := len(s.Requests()); n != 16 {
		t.Fatalf("%d records, want 16", n)
	}
}

func TestModelsGetAndJSONArray(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1beta/models/gemini-2.5-pro", nil)
	req.Header.Set("x-goog-api-key", "fake-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["name"] != "models/gemini-2.5-pro" || m["inputTokenLimit"] != 1048576.0 {
		t.Fatalf("model %v", m)
	}
	_, b := post(t, s, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", "fake-key", hello)
	var arr []response
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) == 0 {
		t.Fatalf("without alt=sse want a JSON array, got %s", b)
	}
}
