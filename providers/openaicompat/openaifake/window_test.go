package openaifake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRefusesOverItsWindow: each engine's shape refuses a prompt it cannot
// hold in its own words and numbers, streamed or not; a bare fake holds
// anything. The prompt here is 40 tokens to the fake: its template makes
// 160 bytes, four bytes a token.
func TestRefusesOverItsWindow(t *testing.T) {
	text := strings.Repeat("x", 160-len("<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n"))
	body := func(extra string) string {
		return `{"messages":[{"role":"user","content":"` + text + `"}]` + extra + `}`
	}
	for _, tc := range []struct {
		name, body string
		fake       *Server
		refused    string // in the message; "" when answered
		fields     string // beside it in the error object
	}{
		{"llama.cpp-under", body(""), New("m").LlamaCpp(41, 0), "", ""},
		{"llama.cpp-at-the-wall", body(""), New("m").LlamaCpp(40, 0), "request (40 tokens) exceeds the available context size (40 tokens), try increasing it", `"type":"exceed_context_size_error","n_prompt_tokens":40,"n_ctx":40`},
		{"llama.cpp-streamed", body(`,"stream":true`), New("m").LlamaCpp(30, 0), "request (40 tokens) exceeds the available context size (30 tokens)", `"n_ctx":30`},
		{"llama.cpp-counts-no-output", body(`,"max_tokens":1000`), New("m").LlamaCpp(41, 0), "", ""},
		{"vllm-fits-exactly", body(`,"max_tokens":10`), New("m").VLLM(50), "", ""},
		{"vllm-counts-the-output", body(`,"max_tokens":11`), New("m").VLLM(50), "You passed 40 input tokens and requested 11 output tokens. However, the model's context length is only 50 tokens, resulting in a maximum input length of 39 tokens.", `"type":"BadRequestError","param":"input_tokens","code":400`},
		{"vllm-max-completion-tokens-first", body(`,"max_tokens":1,"max_completion_tokens":20,"stream":true`), New("m").VLLM(50), "requested 20 output tokens", `"param":"input_tokens"`},
		{"vllm-no-budget", body(""), New("m").VLLM(40), "", ""},
		{"vllm-budget-over-the-window", body(`,"max_tokens":60`), New("m").VLLM(50), "max_tokens=60cannot be greater than max_model_len=max_total_tokens=50", `"param":"max_tokens"`},
		{"bare", body(`,"max_tokens":100000`), New("m").BytesPerToken(1), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.refused == "" {
				if resp.StatusCode != 200 {
					t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
				}
				return
			}
			var env struct {
				Error map[string]json.RawMessage `json:"error"`
			}
			var msg string
			if resp.StatusCode != 400 || json.Unmarshal(b, &env) != nil || json.Unmarshal(env.Error["message"], &msg) != nil ||
				!strings.Contains(msg, tc.refused) || !strings.Contains(string(b), tc.fields) {
				t.Fatalf("HTTP %d %s; want 400 saying %q with %s", resp.StatusCode, b, tc.refused, tc.fields)
			}
		})
	}
}
