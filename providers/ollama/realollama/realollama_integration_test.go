//go:build integration

package realollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// These tests talk to a real Ollama directly, proving the rig and pinning
// down what 0.17.4 does. Run with
//
//	bash .ci/install-ollama.sh && go test -tags integration ./providers/ollama/realollama/...
//
// and add -record to rewrite testdata/observed/ from the run.

var record = flag.Bool("record", false, "rewrite testdata/observed/ with what this run observed")

// requestTimeout guards each HTTP exchange against a hang; it is not a
// speed assertion.
const requestTimeout = 3 * time.Minute

// reply is one HTTP exchange's outcome.
type reply struct {
	status int
	ctype  string
	body   []byte
}

func post(t *testing.T, s *Server, path string, body any) reply {
	t.Helper()
	js, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	method := http.MethodPost
	var rd io.Reader = bytes.NewReader(js)
	if body == nil {
		method, rd = http.MethodGet, nil
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

func writeObserved(t *testing.T, name string, data []byte) {
	t.Helper()
	if !*record {
		return
	}
	p := filepath.Join("testdata", "observed", name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", p)
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return append(out.Bytes(), '\n')
}

// chatFinal is the last NDJSON object of /api/chat (api.ChatResponse with
// its Metrics).
type chatFinal struct {
	Model           string `json:"model"`
	CreatedAt       string `json:"created_at"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	TotalDuration   int64  `json:"total_duration"`
	LoadDuration    int64  `json:"load_duration"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	PromptEvalDur   int64  `json:"prompt_eval_duration"`
	EvalCount       int    `json:"eval_count"`
	EvalDuration    int64  `json:"eval_duration"`
	Error           string `json:"error"`
}

// ndjson splits a streamed body into its objects, failing on a line that
// is not one.
func ndjson(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var lines []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("stream line is not JSON: %q", sc.Bytes())
		}
		lines = append(lines, append(json.RawMessage(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatal("empty stream")
	}
	return lines
}

func final(t *testing.T, r reply) chatFinal {
	t.Helper()
	var f chatFinal
	if strings.HasPrefix(r.ctype, "application/x-ndjson") {
		lines := ndjson(t, r.body)
		if err := json.Unmarshal(lines[len(lines)-1], &f); err != nil {
			t.Fatal(err)
		}
	} else if err := json.Unmarshal(r.body, &f); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if r.status != http.StatusOK || !f.Done || f.Error != "" {
		t.Fatalf("chat: %d %s", r.status, r.body)
	}
	return f
}

// hellos returns "hello" and n-1 " hello": n tokens, since Qwen's
// vocabulary holds both "hello" and "Ġhello" (checked by needVocab).
func hellos(n int) string {
	return "hello" + strings.Repeat(" hello", n-1)
}

func needVocab(t *testing.T, pieces ...string) {
	t.Helper()
	tok, err := Qwen3Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(tok.JSON, &tj); err != nil {
		t.Fatal(err)
	}
	for _, p := range pieces {
		if _, ok := tj.Model.Vocab[p]; !ok {
			t.Fatalf("%q is not one token in Qwen3's vocabulary", p)
		}
	}
}

// chatBody is an /api/chat request for one user message.
func chatBody(model, content string, numCtx int, truncate *bool, stream bool) map[string]any {
	b := map[string]any{
		"model":    model,
		"messages": []chatMessage{{Role: "user", Content: content}},
		"stream":   stream,
		"options":  map[string]any{"num_ctx": numCtx, "num_predict": 4, "seed": 1, "temperature": 0},
	}
	if truncate != nil {
		b["truncate"] = *truncate
	}
	return b
}

var no = new(bool) // truncate: false

func TestVersionIsPinned(t *testing.T) {
	s := Start(t, Options{})
	r := post(t, s, "/api/version", nil)
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || r.status != 200 || v.Version != Version {
		t.Fatalf("/api/version: %d %s (%v), want version %s", r.status, r.body, err, Version)
	}
	writeObserved(t, "version.json", r.body)
}

func TestShowReportsNativeContextAndDefinitionCap(t *testing.T) {
	s := Start(t, Options{})
	r := post(t, s, "/api/show", map[string]any{"model": s.Model})
	if r.status != 200 {
		t.Fatalf("/api/show: %d %s", r.status, r.body)
	}
	var show struct {
		Parameters   string         `json:"parameters"`
		Template     string         `json:"template"`
		ModelInfo    map[string]any `json:"model_info"`
		Capabilities []string       `json:"capabilities"`
		Details      struct {
			Family string `json:"family"`
			Format string `json:"format"`
		} `json:"details"`
	}
	if err := json.Unmarshal(r.body, &show); err != nil {
		t.Fatal(err)
	}
	if a := show.ModelInfo["general.architecture"]; a != "qwen2" {
		t.Errorf("general.architecture = %v", a)
	}
	if n := show.ModelInfo["qwen2.context_length"]; n != float64(262144) {
		t.Errorf("qwen2.context_length = %v, want 262144", n)
	}
	// parameters is the Modelfile PARAMETER block as text, "num_ctx"
	// padded to a column: "num_ctx                        131072".
	if !regexp.MustCompile(`(?m)^num_ctx\s+131072$`).MatchString(show.Parameters) {
		t.Errorf("parameters lack num_ctx 131072:\n%s", show.Parameters)
	}
	if show.Template != ChatTemplate {
		t.Error("template is not ChatTemplate")
	}
	if !contains(show.Capabilities, "completion") || !contains(show.Capabilities, "tools") {
		t.Errorf("capabilities %v, want completion and tools", show.Capabilities)
	}
	writeObserved(t, "show.json", indent(t, r.body))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestShowVerboseCarriesQwen3Tokenizer(t *testing.T) {
	s := Start(t, Options{})
	r := post(t, s, "/api/show", map[string]any{"model": s.Model, "verbose": true})
	if r.status != 200 {
		t.Fatalf("/api/show verbose: %d %.500s", r.status, r.body)
	}
	var show struct {
		ModelInfo map[string]json.RawMessage `json:"model_info"`
	}
	if err := json.Unmarshal(r.body, &show); err != nil {
		t.Fatal(err)
	}
	var tokens, merges []string
	json.Unmarshal(show.ModelInfo["tokenizer.ggml.tokens"], &tokens)
	json.Unmarshal(show.ModelInfo["tokenizer.ggml.merges"], &merges)
	// 151,669 real tokens padded with "[PADn]" to the 151,936 rows.
	if len(tokens) != 151936 || tokens[151643] != "<|endoftext|>" || tokens[151645] != "<|im_end|>" || tokens[151669] != "[PAD0]" {
		t.Errorf("%d tokens; [151643]=%q [151645]=%q [151669]=%q", len(tokens), at(tokens, 151643), at(tokens, 151645), at(tokens, 151669))
	}
	if len(merges) != 151387 {
		t.Errorf("%d merges, want 151387", len(merges))
	}
	for key, want := range map[string]string{
		"tokenizer.ggml.pre":           `"qwen2"`,
		"tokenizer.ggml.model":         `"gpt2"`,
		"tokenizer.ggml.add_bos_token": `false`,
		"tokenizer.ggml.bos_token_id":  `151643`,
		"tokenizer.ggml.eos_token_id":  `151645`,
	} {
		if got := string(show.ModelInfo[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}

	// The sample keeps every key but only the first entries of the long
	// arrays, with their true lengths beside them.
	trimmed := map[string]any{}
	for k, v := range show.ModelInfo {
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) == nil && len(arr) > 8 {
			trimmed[k] = map[string]any{"len": len(arr), "first": arr[:8]}
			continue
		}
		trimmed[k] = v
	}
	js, _ := json.MarshalIndent(map[string]any{"model_info (arrays trimmed)": trimmed}, "", "  ")
	writeObserved(t, "show-verbose-trimmed.json", append(js, '\n'))
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}

func TestChatStreamsNDJSONAtFullNativeContext(t *testing.T) {
	needVocab(t, "hello", "Ġhello")
	s := Start(t, Options{})
	r := post(t, s, "/api/chat", chatBody(s.Model, hellos(1), 262144, no, true))
	if r.status != 200 || r.ctype != "application/x-ndjson" {
		t.Fatalf("/api/chat: %d %q %s", r.status, r.ctype, r.body)
	}
	lines := ndjson(t, r.body)
	for _, l := range lines[:len(lines)-1] {
		var chunk struct {
			Done    bool `json:"done"`
			Message struct {
				Role string `json:"role"`
			} `json:"message"`
		}
		if err := json.Unmarshal(l, &chunk); err != nil || chunk.Done || chunk.Message.Role != "assistant" {
			t.Errorf("bad intermediate chunk %s", l)
		}
	}
	f := final(t, r)
	// One token of content, five around the message, three for the
	// generation prompt, and no BOS.
	if f.PromptEvalCount != 9 {
		t.Errorf("prompt_eval_count = %d, want 9", f.PromptEvalCount)
	}
	if f.DoneReason != "length" || f.EvalCount != 4 {
		t.Errorf("done_reason %q eval_count %d, want length after num_predict 4", f.DoneReason, f.EvalCount)
	}
	if f.PromptEvalDur <= 0 || f.EvalDuration <= 0 || f.TotalDuration < f.PromptEvalDur+f.EvalDuration {
		t.Errorf("implausible timings %+v", f)
	}
	writeObserved(t, "chat-stream-num_ctx-262144.ndjson", r.body)

	ps := post(t, s, "/api/ps", nil)
	var running struct {
		Models []struct {
			Name          string `json:"name"`
			ContextLength int    `json:"context_length"`
		} `json:"models"`
	}
	if err := json.Unmarshal(ps.body, &running); err != nil || len(running.Models) != 1 || running.Models[0].ContextLength != 262144 {
		t.Errorf("/api/ps = %s, want the model loaded with context_length 262144", ps.body)
	}
	writeObserved(t, "ps-num_ctx-262144.json", indent(t, ps.body))
}

// In 0.17.4 prompt_eval_count counts the whole prompt even when the
// runner reuses its cached prefix (runner/ollamarunner/runner.go sets it
// from numPromptInputs before the cache is consulted), while
// prompt_eval_duration covers only what was processed: dividing the two
// overstates prefill speed on a repeated prompt.
func TestPromptCacheKeepsCountButNotDuration(t *testing.T) {
	needVocab(t, "hello", "Ġhello")
	s := Start(t, Options{})
	body := chatBody(s.Model, hellos(2992), 8192, no, false) // 3000 tokens
	cold := final(t, post(t, s, "/api/chat", body))
	warm := final(t, post(t, s, "/api/chat", body))
	if cold.PromptEvalCount != 3000 || warm.PromptEvalCount != 3000 {
		t.Errorf("prompt_eval_count cold %d warm %d, want 3000 both", cold.PromptEvalCount, warm.PromptEvalCount)
	}
	t.Logf("3000-token prompt: prompt_eval_duration cold %s, warm %s",
		time.Duration(cold.PromptEvalDur), time.Duration(warm.PromptEvalDur))
	js, _ := json.MarshalIndent(map[string]chatFinal{"cold": cold, "warm": warm}, "", "  ")
	writeObserved(t, "prompt-cache-cold-warm.json", append(js, '\n'))
}

func TestOverlongPrompt(t *testing.T) {
	needVocab(t, "hello", "Ġhello")
	const numCtx = 256
	content := hellos(992) // 992 + 5 + 3 = 1000 prompt tokens
	s := Start(t, Options{})

	t.Run("fits-at-4096", func(t *testing.T) {
		f := final(t, post(t, s, "/api/chat", chatBody(s.Model, content, 4096, no, false)))
		if f.PromptEvalCount != 1000 {
			t.Errorf("prompt_eval_count = %d, want 1000", f.PromptEvalCount)
		}
	})
	for _, stream := range []bool{false, true} {
		name := "truncate-false-is-400-stream-" + strconv.FormatBool(stream)
		t.Run(name, func(t *testing.T) {
			r := post(t, s, "/api/chat", chatBody(s.Model, content, numCtx, no, stream))
			if r.status != http.StatusBadRequest || !strings.HasPrefix(r.ctype, "application/json") {
				t.Fatalf("got %d %q %s, want 400 JSON", r.status, r.ctype, r.body)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil || e.Error != "the input length exceeds the context length" {
				t.Errorf("body %s", r.body)
			}
			writeObserved(t, name+".json", r.body)
		})
	}
	t.Run("truncate-absent-truncates", func(t *testing.T) {
		r := post(t, s, "/api/chat", chatBody(s.Model, content, numCtx, nil, false))
		f := final(t, r)
		if f.PromptEvalCount >= 1000 || f.PromptEvalCount > numCtx {
			t.Errorf("prompt_eval_count = %d, want at most num_ctx %d", f.PromptEvalCount, numCtx)
		}
		t.Logf("1000-token prompt at num_ctx %d: HTTP %d, prompt_eval_count %d, done_reason %q",
			numCtx, r.status, f.PromptEvalCount, f.DoneReason)
		writeObserved(t, "truncate-absent-num_ctx-256.json", indent(t, r.body))
		warn := regexp.MustCompile(`.*msg="truncating input prompt".*`).FindString(s.Log())
		if warn == "" {
			t.Error("the server logged no truncation warning")
		}
		writeObserved(t, "truncate-absent-num_ctx-256.log", []byte(warn+"\n"))
	})
	t.Run("truncate-absent-drops-old-messages", func(t *testing.T) {
		body := chatBody(s.Model, "", numCtx, nil, false)
		body["messages"] = []chatMessage{
			{Role: "system", Content: "hello"},
			{Role: "user", Content: content},
			{Role: "assistant", Content: "hello"},
			{Role: "user", Content: "hello"},
		}
		r := post(t, s, "/api/chat", body)
		f := final(t, r)
		// server/prompt.go chatPrompt drops whole messages from the
		// front until the rest fits, always keeping system messages
		// and the last one: system(6) + assistant(6) + user(6) + 3.
		if f.PromptEvalCount != 21 {
			t.Errorf("prompt_eval_count = %d, want 21 (system, last assistant and user turns)", f.PromptEvalCount)
		}
		writeObserved(t, "truncate-absent-drops-messages-num_ctx-256.json", indent(t, r.body))
	})
}

// promptLogged returns the last prompt the server logged at trace level
// (OLLAMA_DEBUG=2: llm/server.go logs "completion request" with the
// rendered prompt, quoted by slog's text handler).
func promptLogged(t *testing.T, s *Server) string {
	t.Helper()
	re := regexp.MustCompile(`msg="completion request".* prompt=("(?:[^"\\]|\\.)*")`)
	m := re.FindAllStringSubmatch(s.Log(), -1)
	if len(m) == 0 {
		t.Fatal("no completion request with a prompt in the server log")
	}
	p, err := strconv.Unquote(m[len(m)-1][1])
	if err != nil {
		t.Fatalf("unquote %s: %v", m[len(m)-1][1], err)
	}
	return p
}

func TestRealOllamaRendersTemplateCases(t *testing.T) {
	s := Start(t, Options{Env: []string{"OLLAMA_DEBUG=2"}})
	var samples strings.Builder
	for _, c := range templateCases {
		t.Run(c.name, func(t *testing.T) {
			body := chatBody(s.Model, "", 4096, no, false)
			body["messages"] = c.messages
			if len(c.tools) > 0 {
				var tools []json.RawMessage
				for _, tool := range c.tools {
					tools = append(tools, json.RawMessage(tool))
				}
				body["tools"] = tools
			}
			final(t, post(t, s, "/api/chat", body))
			got := promptLogged(t, s)
			if got != c.want {
				t.Errorf("Ollama rendered\n%q\nwant\n%q", got, c.want)
			}
			samples.WriteString("=== " + c.name + "\n" + got + "\n")
		})
	}
	writeObserved(t, "rendered-prompts.txt", []byte(samples.String()))
}

func TestVariantWithoutCap(t *testing.T) {
	s := Start(t, Options{})
	s.CreateVariant(t, Variant{Name: "tiny-qwen3:262k", Parameters: map[string]any{"num_ctx": 262144}})
	r := post(t, s, "/api/show", map[string]any{"model": "tiny-qwen3:262k"})
	var show struct {
		Parameters string `json:"parameters"`
		Template   string `json:"template"`
	}
	if err := json.Unmarshal(r.body, &show); err != nil || r.status != 200 {
		t.Fatalf("/api/show: %d %s", r.status, r.body)
	}
	if !regexp.MustCompile(`(?m)^num_ctx\s+262144$`).MatchString(show.Parameters) || show.Template != ChatTemplate {
		t.Errorf("variant parameters:\n%s\ntemplate carried over: %v", show.Parameters, show.Template == ChatTemplate)
	}
}

func TestNothingOutlivesTheServer(t *testing.T) {
	var pgid int
	t.Run("serve-and-load", func(t *testing.T) {
		s := Start(t, Options{})
		pgid = s.proc.cmd.Process.Pid
		// Loading the model starts a runner subprocess.
		final(t, post(t, s, "/api/chat", chatBody(s.Model, "hello", 4096, no, false)))
	})
	if groupAlive(pgid) {
		t.Errorf("process group %d of the stopped server still has live members", pgid)
	}
	goleak.VerifyNone(t)
}

// BenchmarkPrefill measures the tiny model's prompt processing on this
// machine: a 4,000-token prompt at num_ctx 8192, reported as tokens per
// second from Ollama's own prompt_eval_duration. It is the rig's speed,
// not Qwen3-Coder's; it tells how long integration tests spend in prefill.
func BenchmarkPrefill(b *testing.B) {
	s := Start(b, Options{})
	const n = 4000
	var tokens, nanos int64
	for i := 0; b.Loop(); i++ {
		// A different first word each time defeats the prompt cache,
		// which would otherwise leave only the new tokens to time.
		content := strconv.Itoa(i) + strings.Repeat(" hello", n-20)
		body := chatBody(s.Model, content, 8192, no, false)
		js, _ := json.Marshal(body)
		resp, err := http.Post(s.URL+"/api/chat", "application/json", bytes.NewReader(js))
		if err != nil {
			b.Fatal(err)
		}
		var f chatFinal
		err = json.NewDecoder(resp.Body).Decode(&f)
		resp.Body.Close()
		if err != nil || f.PromptEvalDur == 0 {
			b.Fatalf("chat: %v %+v", err, f)
		}
		tokens += int64(f.PromptEvalCount)
		nanos += f.PromptEvalDur
	}
	b.ReportMetric(float64(tokens)/(float64(nanos)/1e9), "prompt-tokens/s")
}
