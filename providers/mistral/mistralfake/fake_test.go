package mistralfake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutate decodes the sample request, lets f change it, and re-encodes it.
func mutate(t *testing.T, f func(req map[string]any)) []byte {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(sample(t, "chat_request.json"), &req); err != nil {
		t.Fatal(err)
	}
	f(req)
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func msgs(req map[string]any) []any { return req["messages"].([]any) }

func msg(req map[string]any, i int) map[string]any { return msgs(req)[i].(map[string]any) }

func post(t *testing.T, s *Server, key string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestSampleRequestIsAccepted(t *testing.T) {
	if rej := CheckChatRequest(sample(t, "chat_request.json")); rej != nil {
		t.Fatalf("the recorded-shape request is refused: %v", rej)
	}
}

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(req map[string]any)
		status int
		want   []string // substrings of the answer
	}{
		{"user-field", func(r map[string]any) { r["user"] = "u-1" }, 422,
			[]string{`"type":"extra_forbidden"`, `"loc":["body","user"]`, "Extra inputs are not permitted"}},
		{"stream-options", func(r map[string]any) { r["stream_options"] = map[string]any{"include_usage": true} }, 422,
			[]string{`"loc":["body","stream_options"]`}},
		{"seed", func(r map[string]any) { r["seed"] = 1 }, 422, []string{`"loc":["body","seed"]`}},
		{"max-completion-tokens", func(r map[string]any) { r["max_completion_tokens"] = 10 }, 422,
			[]string{`"loc":["body","max_completion_tokens"]`}},
		{"name-on-user-message", func(r map[string]any) { msg(r, 1)["name"] = "alice" }, 422,
			[]string{`"loc":["body","messages",1,"user","name"]`}},
		{"name-in-tool-call", func(r map[string]any) {
			msg(r, 2)["tool_calls"].([]any)[0].(map[string]any)["name"] = "read_file"
		}, 422, []string{`"loc":["body","messages",2,"assistant","tool_calls",0,"name"]`}},
		{"developer-role", func(r map[string]any) { msg(r, 0)["role"] = "developer" }, 422,
			[]string{`"type":"union_tag_invalid"`, "Input tag 'developer'"}},
		{"tool-message-without-content", func(r map[string]any) { delete(msg(r, 3), "content") }, 422,
			[]string{`"type":"missing"`, `"loc":["body","messages",3,"tool","content"]`}},
		{"temperature-above-1.5", func(r map[string]any) { r["temperature"] = 2 }, 422,
			[]string{`"type":"less_than_equal"`, "less than or equal to 1.5"}},
		{"negative-random-seed", func(r map[string]any) { r["random_seed"] = -1 }, 422,
			[]string{`"type":"greater_than_equal"`}},
		{"reasoning-effort-medium", func(r map[string]any) { r["reasoning_effort"] = "medium" }, 422,
			[]string{`"type":"literal_error"`}},
		{"openai-tool-call-id", func(r map[string]any) {
			msg(r, 2)["tool_calls"].([]any)[0].(map[string]any)["id"] = "call_0fypS1hVX"
			msg(r, 3)["tool_call_id"] = "call_0fypS1hVX"
		}, 400, []string{"Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a length of 9.", `"code":"3280"`, `"type":"invalid_function_call"`}},
		{"user-after-tool", func(r map[string]any) {
			r["messages"] = slices.Delete(msgs(r), 4, 5)
		}, 400, []string{"Unexpected role 'user' after role 'tool'", `"code":"3230"`, `"type":"invalid_request_message_order"`}},
		{"system-after-tool", func(r map[string]any) {
			msg(r, 4)["role"] = "system"
		}, 400, []string{"Unexpected role 'system' after role 'tool'"}},
		{"system-after-assistant", func(r map[string]any) {
			r["messages"] = append(msgs(r)[:5], map[string]any{"role": "system", "content": "reminder"}, msgs(r)[5])
		}, 400, []string{"Unexpected role 'system' after role 'assistant'"}},
		{"trailing-assistant", func(r map[string]any) {
			r["messages"] = append(msgs(r), map[string]any{"role": "assistant", "content": "Sure"})
		}, 400, []string{"Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant"}},
		{"prefix-not-last", func(r map[string]any) { msg(r, 4)["prefix"] = true }, 400,
			[]string{"Assistant message with prefix True must be last message"}},
		{"empty-assistant", func(r map[string]any) { delete(msg(r, 4), "content") }, 400,
			[]string{"Assistant message must have either content or tool_calls, but not none."}},
		{"empty-tool-result", func(r map[string]any) { msg(r, 3)["content"] = "" }, 400,
			[]string{"Tool message content must not be empty"}},
		{"unanswered-tool-call", func(r map[string]any) {
			r["messages"] = slices.Delete(msgs(r), 3, 4)
		}, 400, []string{"Not the same number of function calls and responses"}},
		{"result-for-unknown-call", func(r map[string]any) { msg(r, 3)["tool_call_id"] = "ZZZZZZZZZ" }, 400,
			[]string{"Unexpected tool call id ZZZZZZZZZ in tool results"}},
		{"bad-function-name", func(r map[string]any) {
			r["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)["name"] = "read file"
		}, 400, []string{"Function name was read file"}},
		{"single-assistant", func(r map[string]any) {
			r["messages"] = []any{map[string]any{"role": "assistant", "content": "hi", "prefix": true}}
		}, 400, []string{"Conversation must start with a user message or system message"}},
		{"trailing-assistant-with-prefix", func(r map[string]any) {
			r["messages"] = append(msgs(r), map[string]any{"role": "assistant", "content": "Sure", "prefix": true})
		}, 200, nil},
		{"tool-choice-any", func(r map[string]any) { r["tool_choice"] = "any" }, 200, nil},
		{"json-schema", func(r map[string]any) {
			r["response_format"] = map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "x", "schema": map[string]any{"type": "object"}, "strict": true}}
		}, 200, nil},
	}
	s := Start(Options{})
	defer s.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, s, DefaultAPIKey, mutate(t, tt.change))
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("answer lacks %q: %s", w, body)
				}
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := Start(Options{APIKey: "sk-right"})
	defer s.Close()
	for _, key := range []string{"", "sk-wrong"} {
		status, _, body := post(t, s, key, sample(t, "chat_request.json"))
		if status != http.StatusUnauthorized || string(body) != `{"detail":"Unauthorized"}` {
			t.Errorf("key %q: %d %s", key, status, body)
		}
	}
	if status, _, body := post(t, s, "sk-right", sample(t, "chat_request.json")); status != http.StatusOK {
		t.Errorf("right key: %d %s", status, body)
	}
}

func TestUnknownModel(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	status, _, body := post(t, s, DefaultAPIKey, mutate(t, func(r map[string]any) { r["model"] = "devstral-small-2505" }))
	if status != 400 || !strings.Contains(string(body), `"code":"1500"`) || !strings.Contains(string(body), "Invalid model: devstral-small-2505") {
		t.Fatalf("%d %s", status, body)
	}
}

func TestContextWindow(t *testing.T) {
	s := Start(Options{ContextWindow: 100})
	defer s.Close()
	status, _, body := post(t, s, DefaultAPIKey, mutate(t, func(r map[string]any) {
		msg(r, 1)["content"] = strings.Repeat("word ", 200)
	}))
	if status != 400 || !strings.Contains(string(body), `"code":"3051"`) || !strings.Contains(string(body), "too large for model with 100 maximum context length") {
		t.Fatalf("%d %s", status, body)
	}
}

// events reads an SSE body into its data payloads, checking the framing.
func events(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	done := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not a data line: %q", line)
		}
		if done {
			t.Fatalf("data after [DONE]: %q", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("bad event %q: %v", data, err)
		}
		out = append(out, ev)
	}
	if !done {
		t.Fatal("stream did not end with data: [DONE]")
	}
	return out
}

func keys(m map[string]any, skip ...string) string {
	var k []string
	for key := range m {
		if !slices.Contains(skip, key) {
			k = append(k, key)
		}
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

func choice(ev map[string]any) map[string]any {
	return ev["choices"].([]any)[0].(map[string]any)
}

// The fake's streams have the recorded samples' shape: the same fields on
// each event, tool calls without index or type, finish reason and usage on
// the last event.
func TestStreamMatchesSamples(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	s.Enqueue(Reply{ToolCalls: []ToolCall{
		{Name: "read_file", Arguments: `{"path": "main.go"}`},
		{Name: "read_file", Arguments: `{"path": "go.mod"}`},
	}})
	status, header, body := post(t, s, DefaultAPIKey, sample(t, "chat_request.json"))
	if status != 200 || header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %v", status, header)
	}
	got := events(t, body)
	want := events(t, sample(t, "stream_tool_calls.sse"))
	if len(got) != len(want) {
		t.Fatalf("%d events, the sample has %d", len(got), len(want))
	}
	for i := range got {
		if g, w := keys(got[i]), keys(want[i], "p"); g != w {
			t.Errorf("event %d fields %s, sample %s", i, g, w)
		}
		if g, w := keys(choice(got[i])), keys(choice(want[i]), "logprobs"); g != w {
			t.Errorf("event %d choice fields %s, sample %s", i, g, w)
		}
	}
	last := choice(got[len(got)-1])
	calls := last["delta"].(map[string]any)["tool_calls"].([]any)
	if last["finish_reason"] != "tool_calls" || len(calls) != 2 {
		t.Fatalf("last event %v", last)
	}
	for _, c := range calls {
		cm := c.(map[string]any)
		if g, w := keys(cm), "function,id"; g != w {
			t.Errorf("tool call fields %s, want %s", g, w)
		}
		if id := cm["id"].(string); len(id) != 9 {
			t.Errorf("generated id %q is not nine characters", id)
		}
	}

	// Text: word pieces, then the finish and usage on the last event.
	s.Enqueue(Reply{Text: "The module path is", FinishReason: "model_length"})
	_, _, body = post(t, s, DefaultAPIKey, sample(t, "chat_request.json"))
	got = events(t, body)
	want = events(t, sample(t, "stream_text.sse"))
	if len(got) != len(want) {
		t.Fatalf("%d events, the sample has %d", len(got), len(want))
	}
	var text strings.Builder
	for i, ev := range got {
		if c, ok := choice(ev)["delta"].(map[string]any)["content"].(string); ok {
			text.WriteString(c)
		}
		if (ev["usage"] != nil) != (want[i]["usage"] != nil) {
			t.Errorf("event %d usage presence differs from the sample", i)
		}
	}
	if text.String() != "The module path is" || choice(got[len(got)-1])["finish_reason"] != "model_length" {
		t.Errorf("text %q, last %v", text.String(), choice(got[len(got)-1]))
	}
}

func TestCompletionMatchesSample(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	s.Enqueue(Reply{ToolCalls: []ToolCall{{Name: "read_file", Arguments: `{"path": "main.go"}`}}})
	status, _, body := post(t, s, DefaultAPIKey, mutate(t, func(r map[string]any) { r["stream"] = false }))
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var got, want map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(sample(t, "chat_response.json"), &want)
	if keys(got) != keys(want) || keys(choice(got)) != keys(choice(want)) {
		t.Errorf("fields %s / %s, sample %s / %s", keys(got), keys(choice(got)), keys(want), keys(choice(want)))
	}
}

func TestScriptAndRecords(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	s.Enqueue(Reply{Status: 429, RetryAfter: "3", Times: 2}, Reply{Text: "done"})
	var statuses []int
	for range 3 {
		status, header, _ := post(t, s, DefaultAPIKey, sample(t, "chat_request.json"))
		statuses = append(statuses, status)
		if status == 429 && header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q", header.Get("Retry-After"))
		}
	}
	if fmt.Sprint(statuses) != "[429 429 200]" {
		t.Fatalf("statuses %v", statuses)
	}
	// Concurrent requests are all recorded, with what was answered.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { post(t, s, DefaultAPIKey, sample(t, "chat_request.json")) })
	}
	wg.Wait()
	reqs := s.Requests()
	if len(reqs) != 11 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	for _, r := range reqs {
		if r.Status == 0 || r.Path != "/v1/chat/completions" || len(r.Messages) != 6 || r.Messages[3].ToolCallID != "D681PevKs" {
			t.Fatalf("record %+v", r)
		}
	}
	if reqs[0].Status != 429 || reqs[2].Status != 200 {
		t.Errorf("recorded statuses %d %d", reqs[0].Status, reqs[2].Status)
	}
}

func TestModels(t *testing.T) {
	when := time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC)
	s := Start(Options{Models: []Model{{ID: "devstral-2512", Aliases: []string{"devstral-latest"}, Deprecation: &when, Replacement: "mistral-medium-latest"}}})
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/models", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string   `json:"id"`
			Aliases     []string `json:"aliases"`
			Deprecation string   `json:"deprecation"`
			Replacement string   `json:"deprecation_replacement_model"`
			Type        string   `json:"type"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].Deprecation != "2026-07-31T00:00:00Z" || list.Data[0].Replacement != "mistral-medium-latest" || list.Data[0].Type != "base" {
		t.Fatalf("%+v", list)
	}
}

func TestMidStreamCut(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	s.Enqueue(Reply{Text: "one two three four", CutAfter: 2})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/chat/completions", bytes.NewReader(sample(t, "chat_request.json")))
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a cut stream read to the end without error")
	}
}
