package router

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type rig struct {
	local, devstral, gemini *scripted
	rt                      *Router
	srv                     *httptest.Server
	client                  *openai.Client
}

func newRig(t *testing.T, mod func(*Options)) *rig {
	t.Helper()
	g := &rig{
		local:    &scripted{name: "local", chunks: textReply("Hel", "lo")},
		devstral: &scripted{name: "devstral", chunks: textReply("from ", "devstral")},
		gemini:   &scripted{name: "gemini", chunks: textReply("from ", "gemini")},
	}
	o := Options{
		Dialects: dialects.All(),
		Upstreams: []*Upstream{
			{Name: "local", Kind: "ollama", Model: "qwen3-coder:30b", Local: true, Provider: g.local, ContextWindow: 262144, SlowAfter: 5 * time.Minute},
			{Name: "devstral", Kind: "mistral", Model: "devstral-latest", Provider: g.devstral, ContextWindow: 262144},
			{Name: "gemini", Kind: "gemini", Model: "gemini-2.5-pro", Provider: g.gemini, ContextWindow: 1048576},
		},
		Settings: policy.Settings{DefaultPrivacy: policy.Private, HeavyMinFiles: 5, HeavyMinTokens: 100000, Secrets: policy.SecretsLocal, DefaultOutputTokens: 8192},
		Tokens:   lenCounter{},
	}
	if mod != nil {
		mod(&o)
	}
	g.rt = New(o)
	g.srv = httptest.NewServer(g.rt)
	t.Cleanup(g.srv.Close)
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = g.srv.URL + "/v1"
	g.client = openai.NewClientWithConfig(cfg)
	return g
}

// lenCounter counts a token per four bytes of text: enough for routing tests.
type lenCounter struct{}

func (lenCounter) CountRequest(req *chat.Request) (int, bool) {
	n := 0
	for i := range req.Messages {
		n += len(req.Messages[i].Text())/4 + 5
	}
	return n + 3, false
}

// settle waits until the router has finished every request, the
// bookkeeping it does after an answer has left included.
func (g *rig) settle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); g.rt.active.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still being handled", g.rt.active.Load())
		}
	}
}

func (g *rig) post(t *testing.T, path, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", g.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// errorBody is the contract's error envelope, as a client reads it.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func readErr(t *testing.T, resp *http.Response) errorDetail {
	t.Helper()
	var b errorBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("not an error envelope: %v", err)
	}
	return b.Error
}

func TestPlainCompletion(t *testing.T) {
	g := newRig(t, nil)
	resp, err := g.client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: "auto", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Hello" || resp.Choices[0].FinishReason != "stop" || resp.Usage.PromptTokens != 12 {
		t.Errorf("%+v", resp)
	}
	if resp.Model != "qwen3-coder:30b" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Errorf("model %q id %q", resp.Model, resp.ID)
	}
	h := resp.Header()
	if h.Get("X-Switchyard-Route") != "local" || h.Get("X-Switchyard-Privacy") != "private" || h.Get("X-Switchyard-Reason") != "private" || h.Get("X-Switchyard-Estimated-Tokens") == "" {
		t.Errorf("headers %v", h)
	}
	if g.devstral.requests()+g.gemini.requests() != 0 {
		t.Error("a private job reached a cloud provider")
	}
}

func TestStreamWithUsage(t *testing.T) {
	g := newRig(t, nil)
	st, err := g.client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model: "auto", Stream: true, StreamOptions: &openai.StreamOptions{IncludeUsage: true},
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text string
	var finish openai.FinishReason
	var usage *openai.Usage
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) > 0 {
			text += c.Choices[0].Delta.Content
			if c.Choices[0].FinishReason != "" {
				finish = c.Choices[0].FinishReason
			}
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if text != "Hello" || finish != "stop" || usage == nil || usage.PromptTokens != 12 || usage.CompletionTokens != 2 {
		t.Errorf("text %q finish %q usage %+v", text, finish, usage)
	}
}

func TestStreamToolCalls(t *testing.T) {
	g := newRig(t, nil)
	g.local.chunks = []chat.Chunk{
		{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "call_a", Name: "read_file", Arguments: `{"path":"a.go"}`}}},
		{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "call_b", Name: "read_file", Arguments: `{"path":"b.go"}`}}},
		{FinishReason: chat.FinishStop},
	}
	resp, err := g.client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: "auto", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "read"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 2 || m.ToolCalls[1].ID != "call_b" || m.ToolCalls[0].Function.Arguments != `{"path":"a.go"}` {
		t.Errorf("%+v", resp.Choices[0])
	}
}

func TestBadInput(t *testing.T) {
	g := newRig(t, func(o *Options) { o.MaxBodyBytes = 1024 })
	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"malformed", `{"messages": [`, 400, "invalid_request", "not valid JSON"},
		{"not-object", `[1,2]`, 400, "invalid_request", "JSON object"},
		{"no-messages", `{"model":"auto"}`, 400, "invalid_request", "messages is required"},
		{"empty-messages", `{"messages":[]}`, 400, "invalid_request", "must not be empty"},
		{"messages-wrong-type", `{"messages":"hi"}`, 400, "invalid_request", "messages"},
		{"bad-role", `{"messages":[{"role":"wizard","content":"x"}]}`, 400, "invalid_request", "messages[0].role"},
		{"temperature-string", `{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, 400, "invalid_request", "temperature"},
		{"content-number", `{"messages":[{"role":"user","content":5}]}`, 400, "invalid_request", "messages[0].content"},
		{"tool-without-id", `{"messages":[{"role":"tool","content":"x"}]}`, 400, "invalid_request", "tool_call_id"},
		{"too-large", `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`, 413, "request_too_large", "max_body_bytes"},
		{"n-2", `{"messages":[{"role":"user","content":"x"}],"n":2}`, 400, "invalid_request", "n must be 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := g.post(t, "/v1/chat/completions", c.body, nil)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			if resp.Header.Get("X-Switchyard-Route") != "none" || resp.Header.Get("X-Switchyard-Reason") == "" {
				t.Errorf("headers %v", resp.Header)
			}
			e := readErr(t, resp)
			if e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Errorf("got %+v, want code %s and %q", e, c.code, c.msg)
			}
		})
	}
	if g.local.requests() != 0 {
		t.Error("bad input reached the upstream")
	}
}

// TestAnyContentType: a body that parses as a JSON object is a request
// whatever its Content-Type (curl -d sends
// application/x-www-form-urlencoded); one that does not is refused, saying
// a JSON object was expected and naming a Content-Type that is not JSON.
func TestAnyContentType(t *testing.T) {
	g := newRig(t, nil)
	const ok = `{"messages":[{"role":"user","content":"x"}]}`
	const form = "application/x-www-form-urlencoded"
	cases := []struct {
		name, path, ct, body string
		status               int
		has, hasNot          []string
	}{
		{"curl-d-default", "/v1/chat/completions", form, ok, 200, nil, nil},
		{"text-plain", "/v1/chat/completions", "text/plain", ok, 200, nil, nil},
		{"none", "/v1/chat/completions", "", ok, 200, nil, nil},
		{"explain-form", "/v1/switchyard/explain", form, ok, 200, nil, nil},
		{"form-fields", "/v1/chat/completions", form, "model=auto&messages=hi", 400,
			[]string{"not valid JSON", "JSON object", "Content-Type: " + form, "application/json"}, nil},
		{"form-array", "/v1/switchyard/explain", form, `[1]`, 400, []string{"must be a JSON object", "Content-Type: " + form}, nil},
		{"json-malformed", "/v1/chat/completions", "application/json; charset=utf-8", `{"messages":`, 400,
			[]string{"not valid JSON", "JSON object"}, []string{"Content-Type"}},
		{"vendor-json", "/v1/chat/completions", "application/vnd.api+json", `nope`, 400, nil, []string{"Content-Type"}},
		// The body is JSON: what is wrong is the request, not the header.
		{"form-no-messages", "/v1/chat/completions", form, `{"model":"auto"}`, 400, []string{"messages is required"}, []string{"Content-Type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := g.post(t, c.path, c.body, map[string]string{"Content-Type": c.ct})
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.status == 200 {
				return
			}
			e := readErr(t, resp)
			if e.Code != "invalid_request" {
				t.Errorf("code %s", e.Code)
			}
			for _, s := range c.has {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message lacks %q: %s", s, e.Message)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(e.Message, s) {
					t.Errorf("message has %q: %s", s, e.Message)
				}
			}
		})
	}
}

func TestAuth(t *testing.T) {
	g := newRig(t, func(o *Options) { o.AuthToken = "s3cret" })
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	if resp.StatusCode != 401 || readErr(t, resp).Code != "unauthorized" {
		t.Errorf("status %d", resp.StatusCode)
	}
	resp = g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, map[string]string{"Authorization": "Bearer s3cret"})
	if resp.StatusCode != 200 {
		t.Errorf("status %d with the token", resp.StatusCode)
	}
	r, _ := http.Get(g.srv.URL + "/healthz")
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
}

func TestPublicFallbackBeforeFirstByte(t *testing.T) {
	g := newRig(t, func(o *Options) { o.Settings.DefaultPrivacy = policy.Public })
	g.local.failBefore = &providers.Error{Provider: "local", Kind: providers.KindUnavailable, Message: "connection refused"}
	g.devstral.failBefore = &providers.Error{Provider: "devstral", Kind: providers.KindRateLimited, Status: 429, Message: "rate limited", RetryAfter: 3 * time.Second}
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "gemini" || !strings.Contains(string(body), "from gemini") {
		t.Fatalf("status %d route %q body %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), body)
	}
	fb := resp.Header.Get("X-Switchyard-Fallback")
	if !strings.Contains(fb, "local: unavailable") || !strings.Contains(fb, "devstral: rate_limited") {
		t.Errorf("fallback header %q", fb)
	}
}

func TestPrivateLocalDownNeverCloud(t *testing.T) {
	g := newRig(t, nil)
	g.local.failBefore = &providers.Error{Provider: "local", Kind: providers.KindUnavailable, Message: "connection refused"}
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	e := readErr(t, resp)
	if resp.StatusCode != 503 || e.Code != "upstream_unavailable" || !strings.Contains(e.Message, "local") {
		t.Errorf("status %d %+v", resp.StatusCode, e)
	}
	if g.devstral.requests()+g.gemini.requests() != 0 {
		t.Fatal("a private job reached a cloud provider")
	}
}

func TestRateLimitedCarriesRetryAfter(t *testing.T) {
	g := newRig(t, func(o *Options) { o.Settings.DefaultPrivacy = policy.Public })
	g.local.failBefore = &providers.Error{Provider: "local", Kind: providers.KindRequest, Status: 400, Message: "bad"}
	resp := g.post(t, "/v1/chat/completions", `{"model":"devstral","messages":[{"role":"user","content":"x"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("pinned devstral: %d", resp.StatusCode)
	}
	g.devstral.failBefore = &providers.Error{Provider: "devstral", Kind: providers.KindRateLimited, Status: 429, Message: "too many", RetryAfter: 7 * time.Second}
	resp = g.post(t, "/v1/chat/completions", `{"model":"devstral","messages":[{"role":"user","content":"x"}]}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || readErr(t, resp).Code != "rate_limited" {
		t.Errorf("status %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestMidStreamFailureIsNotDone(t *testing.T) {
	g := newRig(t, nil)
	g.local.failAt, g.local.failAfter = 1, &providers.Error{Provider: "local", Kind: providers.KindServer, Message: "model runner crashed"}
	resp := g.post(t, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	s := string(body)
	if strings.Contains(s, "[DONE]") || !strings.Contains(s, `"error"`) || !strings.Contains(s, "model runner crashed") || !strings.Contains(s, "Hel") {
		t.Errorf("stream:\n%s", s)
	}
	// go-openai must see an error, not a clean end.
	st, err := g.client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{
		Model: "auto", Stream: true, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		_, err := st.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatal("a cut stream ended like a complete one")
		}
		if err != nil {
			break
		}
	}
}

func TestNonStreamMidAnswerFailureFallsBack(t *testing.T) {
	g := newRig(t, func(o *Options) { o.Settings.DefaultPrivacy = policy.Public })
	g.local.failAt, g.local.failAfter = 1, &providers.Error{Provider: "local", Kind: providers.KindServer, Message: "crash"}
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "from devstral") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

func TestFirstByteTimeoutFallsBack(t *testing.T) {
	g := newRig(t, func(o *Options) {
		o.Settings.DefaultPrivacy = policy.Public
		o.Upstreams[0].FirstByteTimeout = 50 * time.Millisecond
	})
	g.local.delay = 10 * time.Second
	resp := g.post(t, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Switchyard-Route") != "devstral" || !strings.Contains(resp.Header.Get("X-Switchyard-Fallback"), "local: timeout") || !strings.Contains(string(body), "[DONE]") {
		t.Errorf("route %q fallback %q body %s", resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Fallback"), body)
	}
}

func TestKeepAliveDuringSilentPrefill(t *testing.T) {
	g := newRig(t, func(o *Options) { o.KeepAliveInterval = 20 * time.Millisecond })
	g.local.delay = 150 * time.Millisecond
	resp := g.post(t, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	s := string(body)
	if !strings.HasPrefix(s, ": keep-alive\n\n") || !strings.Contains(s, "[DONE]") || !strings.Contains(s, "Hel") {
		t.Errorf("stream:\n%s", s)
	}
}

func TestCoolDownAndReadyz(t *testing.T) {
	now := time.Unix(1e9, 0)
	g := newRig(t, func(o *Options) {
		o.Settings.DefaultPrivacy = policy.Public
		o.Now = func() time.Time { return now }
	})
	g.local.failBefore = &providers.Error{Provider: "local", Kind: providers.KindServer, Status: 500, Message: "boom"}
	for i := 0; i < failuresToCool; i++ {
		g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	}
	if g.local.requests() != failuresToCool {
		t.Fatalf("local tried %d times", g.local.requests())
	}
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	if resp.Header.Get("X-Switchyard-Route") != "devstral" || g.local.requests() != failuresToCool {
		t.Errorf("cooling provider was tried: route %s, %d requests", resp.Header.Get("X-Switchyard-Route"), g.local.requests())
	}
	r, _ := http.Get(g.srv.URL + "/readyz")
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(body), `"cooling_down"`) || !strings.Contains(string(body), `"context_window":262144`) {
		t.Errorf("readyz %s", body)
	}
	now = now.Add(coolDownMin + time.Second)
	g.local.failBefore = nil
	resp = g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	if resp.Header.Get("X-Switchyard-Route") != "local" {
		t.Errorf("after the cool-down: route %s", resp.Header.Get("X-Switchyard-Route"))
	}
}

func TestClientCancelStopsUpstream(t *testing.T) {
	g := newRig(t, nil)
	g.local.delay = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := g.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "auto", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "x"}}})
	if err == nil {
		t.Fatal("no error")
	}
	// goleak in TestMain proves the upstream goroutine ended.
}

func TestModelsAndExplain(t *testing.T) {
	g := newRig(t, nil)
	list, err := g.client.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "auto,local,cloud,devstral,gemini" {
		t.Errorf("models %v", ids)
	}
	resp := g.post(t, "/v1/switchyard/explain", `{"model":"gemini","messages":[{"role":"user","content":"x"}]}`, nil)
	var ex Explanation
	json.NewDecoder(resp.Body).Decode(&ex)
	if ex.Chosen != nil || ex.Refusal == nil || ex.Refusal.Code != "privacy_policy" || ex.Privacy != "private" {
		t.Errorf("%+v", ex)
	}
	if g.gemini.requests() != 0 {
		t.Error("explain sent upstream")
	}
}

func TestPromptsLoggedOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		var buf strings.Builder
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		g := newRig(t, func(o *Options) { o.Logger, o.LogPrompts = log, on })
		g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"the-secret-plan"}]}`, nil)
		g.settle(t)
		if strings.Contains(buf.String(), "the-secret-plan") != on {
			t.Errorf("LogPrompts %v, log:\n%s", on, buf.String())
		}
		if !strings.Contains(buf.String(), "route=local") {
			t.Errorf("no access line:\n%s", buf.String())
		}
	}
}

// dirsWorkspace states whatever directory the system message names.
type dirsWorkspace map[string]policy.PolicyFile

func (w dirsWorkspace) Dirs(req *chat.Request) []string {
	if req.Messages[0].Role == chat.RoleSystem {
		return []string{req.Messages[0].Text()}
	}
	return nil
}

func (w dirsWorkspace) Governing(p string) []policy.PolicyFile {
	if f, ok := w[p]; ok {
		f.Path = p
		return []policy.PolicyFile{f}
	}
	return []policy.PolicyFile{{Path: p}}
}

// TestSessionRemembersRepository: opencode's title request states no
// directory; the session id ties it to the private repository an earlier
// request of the session stated, so it stays local.
func TestSessionRemembersRepository(t *testing.T) {
	ws := dirsWorkspace{"/src/secret": {Privacy: policy.Private, File: "/src/secret/.switchyard.yaml"}}
	g := newRig(t, func(o *Options) { o.Workspace = ws; o.Settings.DefaultPrivacy = policy.Public })
	sess := map[string]string{"x-session-id": "ses_123"}
	resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"system","content":"/src/secret"},{"role":"user","content":"fix it"}]}`, sess)
	if resp.Header.Get("X-Switchyard-Privacy") != "private" {
		t.Fatalf("stated: %v", resp.Header)
	}
	resp = g.post(t, "/v1/chat/completions", `{"model":"gemini","messages":[{"role":"user","content":"Generate a title for: fix it"}]}`, sess)
	if resp.StatusCode != 403 || resp.Header.Get("X-Switchyard-Privacy") != "private" {
		t.Errorf("the title request of a private session: %d %v", resp.StatusCode, resp.Header)
	}
	resp = g.post(t, "/v1/chat/completions", `{"model":"gemini","messages":[{"role":"user","content":"hello"}]}`, map[string]string{"x-session-id": "ses_other"})
	if resp.StatusCode != 200 {
		t.Errorf("another session: %d", resp.StatusCode)
	}
	if g.gemini.requests() != 1 {
		t.Errorf("gemini received %d requests, want 1", g.gemini.requests())
	}
}

// TestCompactedConversationStaysPrivate: after Qwen Code compacts a
// conversation its requests state no directory and carry no session id;
// the files it lists as already read (its own wording, recorded in
// policy/workspace/testdata/compacted) still tie the job to its private
// repository, so it is refused the cloud.
func TestCompactedConversationStaysPrivate(t *testing.T) {
	ws := dirsWorkspace{"/src/secret/notes-a.txt": {Privacy: policy.Private, File: "/src/secret/.switchyard.yaml"}}
	g := newRig(t, func(o *Options) {
		o.Workspace, o.Inspector, o.Settings.DefaultPrivacy = ws, PolicyInspector, policy.Public
	})
	listed := `The following files were recently accessed before context was compacted. They are listed as reference only because they are large. Use ` +
		"`read_file`" + ` to view current content for any file you need:\n\n- /src/secret/notes-a.txt`
	resp := g.post(t, "/v1/chat/completions", `{"model":"gemini","messages":[{"role":"user","content":"Summary of the conversation."},`+
		`{"role":"assistant","content":"Got it."},{"role":"user","content":"`+listed+`"}]}`, nil)
	if resp.StatusCode != 403 || resp.Header.Get("X-Switchyard-Privacy") != "private" {
		t.Errorf("a compacted private conversation: %d %v", resp.StatusCode, resp.Header)
	}
	if g.gemini.requests() != 0 {
		t.Errorf("gemini received %d requests, want 0", g.gemini.requests())
	}
}

// TestReadyzAfterDiscovery: /readyz asks a local model that has not
// answered yet before it reads the window, so the answer that finds it up
// already shows the window discovery found, and the definition beside it.
func TestReadyzAfterDiscovery(t *testing.T) {
	var discovered bool
	g := newRig(t, func(o *Options) {
		u := o.Upstreams[0]
		u.ContextWindow = 0
		u.Check = func() string { discovered = true; return "" }
		u.Window = func() (int, int) {
			if !discovered {
				return 0, 0
			}
			return 262144, 262144
		}
		u.DefinitionWindow = func() int { return 131072 }
	})
	r, err := http.Get(g.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var ready struct {
		Providers []struct {
			Name       string
			Window     int `json:"context_window"`
			Definition int `json:"definition_num_ctx"`
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	if p := ready.Providers[0]; p.Name != "local" || p.Window != 262144 || p.Definition != 131072 {
		t.Errorf("readyz says %+v; want local, window 262144, definition 131072", p)
	}
}

// TestFirstByteWaitsForThePrediction: a local provider without a
// first_byte_timeout is given its timeout plus the time the decision
// predicted for it, so a long prefill is not cut off; with no prediction,
// the timeout alone cuts it and the job falls back.
func TestFirstByteWaitsForThePrediction(t *testing.T) {
	for _, c := range []struct {
		predicted float64
		route     string
	}{{0.19, "local"}, {0, "devstral"}} {
		g := newRig(t, func(o *Options) {
			o.Settings.DefaultPrivacy = policy.Public
			u := o.Upstreams[0]
			u.SlowAfter = 200 * time.Millisecond // over the prediction: local first
			u.Predict = func(prompt, output int) (float64, bool) { return c.predicted, c.predicted > 0 }
		})
		g.local.delay = 300 * time.Millisecond // over the timeout, under timeout + prediction
		resp := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
		if got := resp.Header.Get("X-Switchyard-Route"); got != c.route {
			t.Errorf("predicted %.1f s: route %s, want %s (fallback %q)", c.predicted, got, c.route, resp.Header.Get("X-Switchyard-Fallback"))
		}
	}
}
