package openaicompat

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/router"
)

// TestRelayPassesTheEnginesChoices: a chat completions stream forwarded
// to an OpenAI-compatible engine reaches the client with each token's
// choices as the engine wrote them (its escapes, its member order), in
// switchyard's envelope (one id and model from the first event to the
// last); the first event stays switchyard's own, with the role. What
// would not read as it decodes (a lone surrogate) is encoded again.
func TestRelayPassesTheEnginesChoices(t *testing.T) {
	events := []string{
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}`,
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[{"finish_reason":null,"index":0,"delta":{"content":"caf\u00e9 \u003cb\u003e"},"logprobs":null}]}`,
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[{"index":0,"delta":{"content":" lone \ud800 surrogate"},"finish_reason":null}]}`,
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}`,
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"id":"engine-1","object":"chat.completion.chunk","created":1,"model":"engine-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`,
	}
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			io.WriteString(w, "data: "+e+"\n\n")
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer engine.Close()
	rt := router.New(router.Options{
		Dialects: dialects.All(),
		Upstreams: []*router.Upstream{{Name: "local", Kind: "openai", Model: "qwen", Local: true, ContextWindow: 131072,
			Provider: New(Options{Name: "local", BaseURL: engine.URL + "/v1", Model: "qwen", Local: true})}},
		Settings: policy.Settings{DefaultPrivacy: policy.Private, Secrets: policy.SecretsIgnore, DefaultOutputTokens: 1024},
	})
	sy := httptest.NewServer(rt)
	defer sy.Close()

	for _, usage := range []bool{false, true} {
		body := `{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		if usage {
			body = `{"model":"local","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
		}
		resp, err := http.Post(sy.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var data []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data = append(data, d)
			}
		}
		resp.Body.Close()
		if len(data) < 5 || data[len(data)-1] != "[DONE]" {
			t.Fatalf("usage %t: events %q", usage, data)
		}
		var first struct{ ID, Model string }
		json.Unmarshal([]byte(data[0]), &first)
		if first.ID == "engine-1" || first.Model != "qwen" || !strings.Contains(data[0], `"role":"assistant"`) {
			t.Errorf("usage %t: the first event is not switchyard's: %s", usage, data[0])
		}
		nullUsage := ""
		if usage {
			nullUsage = `,"usage":null`
		}
		envelope := data[0][:strings.Index(data[0], `"choices":`)]
		want := envelope + `"choices":[{"finish_reason":null,"index":0,"delta":{"content":"caf\u00e9 \u003cb\u003e"},"logprobs":null}]` + nullUsage + `}`
		if data[1] != want {
			t.Errorf("usage %t: the token's choices were not passed on as they came:\n got %s\nwant %s", usage, data[1], want)
		}
		if strings.Contains(data[2], `\ud800`) || !strings.Contains(data[2], "lone \ufffd surrogate") {
			t.Errorf("usage %t: a lone surrogate was passed on: %s", usage, data[2])
		}
		for _, d := range data[:len(data)-1] {
			var ev struct{ ID, Model string }
			if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.ID != first.ID || ev.Model != "qwen" {
				t.Errorf("usage %t: event %s: id %q model %q (%v), want %q and qwen throughout", usage, d, ev.ID, ev.Model, err, first.ID)
			}
		}
		if got := strings.Contains(strings.Join(data, "\n"), `"prompt_tokens":9`); got != usage {
			t.Errorf("usage %t: usage chunk sent %t", usage, got)
		}
	}
}
