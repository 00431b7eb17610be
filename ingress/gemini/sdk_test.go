package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// fakeServer answers with nothing but the Dialect: Decode, a scripted
// answer through NewAnswer (Chunk/End streamed, or Assembler and Whole),
// WriteError, the count and the model routes. Google's own Go SDK
// (google.golang.org/genai) is the client, so these tests hold the wire
// format to the vendor's reader.
type fakeServer struct {
	mu   sync.Mutex
	seen []*chat.Request
}

// script is the answer to req: a tool-using turn when tools are offered
// and the conversation does not end with a tool result; else text.
func script(req *chat.Request) []chat.Chunk {
	last := req.Messages[len(req.Messages)-1]
	if len(req.Tools) > 0 && last.Role != chat.RoleTool {
		return []chat.Chunk{
			{Reasoning: "I should list "}, {Reasoning: "the files."},
			{Content: "Let me look."},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "call_1", Name: "run", Arguments: `{"command":`, Signature: "c2lnLTE="}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, Arguments: `"ls"}`}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "call_2", Name: "read_file", Arguments: `{"path":"go.mod"}`}}},
			{FinishReason: chat.FinishToolCalls, Usage: &chat.Usage{PromptTokens: 120, CachedTokens: 20, CompletionTokens: 30, ReasoningTokens: 10}},
		}
	}
	return []chat.Chunk{{Content: "Hello "}, {Content: "there <&>."}, {FinishReason: chat.FinishStop, Usage: &chat.Usage{PromptTokens: 50, CompletionTokens: 4}}}
}

// stream renders chunks as the router does: each Chunk, and End with the
// last one's finish and usage.
func stream(a ingress.Answer, chunks []chat.Chunk) []byte {
	var out []byte
	for _, c := range chunks {
		f, u := c.FinishReason, c.Usage
		c.FinishReason, c.Usage = "", nil
		out = append(out, a.Chunk(&c)...)
		if f != "" {
			out = append(out, a.End(f, u)...)
		}
	}
	return out
}

var testModels = []ingress.Model{
	{ID: "auto", DisplayName: "switchyard: decides", OwnedBy: "switchyard", ContextWindow: 262144},
	{ID: "local", OwnedBy: "ollama"},
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Dialect{}
	if s := r.Header.Get("X-Test-Error"); s != "" {
		var e ingress.Error
		json.Unmarshal([]byte(s), &e)
		d.WriteError(w, &e)
		return
	}
	if r.Method == "GET" {
		b, e := d.EncodeModelsFor(r, testModels)
		if e != nil {
			d.WriteError(w, e)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if d.IsCount(r) {
		req, err := d.DecodeCount(r, body)
		if err != nil {
			d.WriteError(w, err.(*ingress.Error))
			return
		}
		w.Write(d.EncodeCount(7 * len(req.Chat.Messages)))
		return
	}
	req, err := d.Decode(r, body)
	if err != nil {
		d.WriteError(w, err.(*ingress.Error))
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, req.Chat)
	f.mu.Unlock()
	ans := d.NewAnswer(req, ingress.AnswerInfo{Model: "qwen3-coder:30b", Created: time.Now(), PromptTokens: 99})
	chunks := script(req.Chat)
	if !req.Chat.Stream {
		var asm ingress.Assembler
		for i := range chunks {
			asm.Add(&chunks[i])
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(ans.Whole(asm.Answer()))
		return
	}
	w.Header().Set("Content-Type", ans.(ingress.StreamTyper).StreamContentType())
	w.Write(ans.KeepAlive())
	if r.Header.Get("X-Test-Cut") != "" {
		w.Write(ans.Chunk(&chat.Chunk{Content: "part"}))
		w.Write(ans.Fail(&ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "gone"}))
		return
	}
	w.Write(stream(ans, chunks))
}

func newClient(t *testing.T) (*genai.Client, *fakeServer, string) {
	f := &fakeServer{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: "test-key", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c, f, srv.URL
}

var runTool = &genai.Tool{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "run", Description: "Run a command",
	ParametersJsonSchema: map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}}}}}

func toolConfig() *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{Tools: []*genai.Tool{runTool}, SystemInstruction: genai.NewContentFromText("You are terse.", genai.RoleUser)}
}

// part is what a Part says, for comparing answers.
type part struct {
	Text          string
	Thought       bool
	Sig, ID, Name string
	Args          string
}

func parts(c *genai.Content) []part {
	var out []part
	for _, p := range c.Parts {
		q := part{Text: p.Text, Thought: p.Thought, Sig: string(p.ThoughtSignature)}
		if fc := p.FunctionCall; fc != nil {
			b, _ := json.Marshal(fc.Args)
			q.ID, q.Name, q.Args = fc.ID, fc.Name, string(b)
		}
		out = append(out, q)
	}
	return out
}

// joined is a stream's parts as one content: consecutive text of one
// kind joined, as Gemini CLI and the SDK users join them.
func joined(ps []part) []part {
	var out []part
	for _, p := range ps {
		if n := len(out); n > 0 && p.Name == "" && out[n-1].Name == "" && out[n-1].Thought == p.Thought {
			out[n-1].Text += p.Text
			out[n-1].Sig += p.Sig
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestSDKWholeAndStreamAgree(t *testing.T) {
	client, _, _ := newClient(t)
	ctx := context.Background()
	user := []*genai.Content{genai.NewContentFromText("list the files", genai.RoleUser)}
	whole, err := client.Models.GenerateContent(ctx, "auto", user, toolConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := []part{
		{Text: "I should list the files.", Thought: true},
		{Text: "Let me look."},
		{ID: "call_1", Name: "run", Args: `{"command":"ls"}`, Sig: "sig-1"},
		{ID: "call_2", Name: "read_file", Args: `{"path":"go.mod"}`},
	}
	c := whole.Candidates[0]
	if got := parts(c.Content); !equalParts(got, want) {
		t.Fatalf("whole:\n got %+v\nwant %+v", got, want)
	}
	u := whole.UsageMetadata
	if c.FinishReason != genai.FinishReasonStop || u.PromptTokenCount != 120 || u.CachedContentTokenCount != 20 || u.CandidatesTokenCount != 20 ||
		u.ThoughtsTokenCount != 10 || u.TotalTokenCount != 150 || whole.ModelVersion != "qwen3-coder:30b" || whole.ResponseID == "" {
		t.Errorf("whole: %+v usage %+v", whole, u)
	}
	if fc := whole.FunctionCalls(); len(fc) != 2 || fc[0].Args["command"] != "ls" {
		t.Errorf("FunctionCalls %+v", fc)
	}

	var streamed []part
	var last *genai.GenerateContentResponse
	n := 0
	for resp, err := range client.Models.GenerateContentStream(ctx, "auto", user, toolConfig()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		last = resp
		if len(resp.Candidates) > 0 && resp.Candidates[0].Content != nil {
			streamed = append(streamed, parts(resp.Candidates[0].Content)...)
		}
	}
	if got := joined(streamed); !equalParts(got, want) || n < 4 {
		t.Fatalf("streamed (%d responses):\n got %+v\nwant %+v", n, got, want)
	}
	if last.Candidates[0].FinishReason != genai.FinishReasonStop || last.UsageMetadata.TotalTokenCount != 150 {
		t.Errorf("last event %+v", last)
	}
}

func equalParts(a, b []part) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSDKToolRoundTrip runs two turns: the answer calls tools, the history
// gets the model's content as the SDK returned it and a user content with
// a functionResponse per call, and the server sees each piece decoded
// where it belongs, paired by id, the signature kept with its call.
func TestSDKToolRoundTrip(t *testing.T) {
	client, f, _ := newClient(t)
	ctx := context.Background()
	history := []*genai.Content{genai.NewContentFromText("list the files", genai.RoleUser)}
	for turn := 0; turn < 2; turn++ {
		resp, err := client.Models.GenerateContent(ctx, "auto", history, toolConfig())
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, resp.Candidates[0].Content)
		var results []*genai.Part
		for _, fc := range resp.FunctionCalls() {
			results = append(results, &genai.Part{FunctionResponse: &genai.FunctionResponse{ID: fc.ID, Name: fc.Name,
				Response: map[string]any{"output": "ran " + fc.Name}}})
		}
		if results == nil {
			results = []*genai.Part{{Text: "thanks"}}
		}
		history = append(history, &genai.Content{Role: genai.RoleUser, Parts: results})
	}
	second := f.seen[1].Messages
	// system, user, assistant (thinking, text, 2 calls), tool, tool
	if len(second) != 5 || second[0].Role != chat.RoleSystem || second[2].Role != chat.RoleAssistant {
		t.Fatalf("turn 2: %+v", second)
	}
	a := second[2]
	want := []chat.ToolCall{{ID: "call_1", Name: "run", Arguments: `{"command":"ls"}`, Signature: "c2lnLTE="},
		{ID: "call_2", Name: "read_file", Arguments: `{"path":"go.mod"}`}}
	if len(a.ToolCalls) != 2 || a.ToolCalls[0] != want[0] || a.ToolCalls[1] != want[1] || a.Text() != "Let me look." ||
		len(a.Reasoning) != 1 || a.Reasoning[0].Text != "I should list the files." {
		t.Errorf("assistant turn: %+v", a)
	}
	if second[3].ToolCallID != "call_1" || second[3].Text() != "ran run" || second[4].ToolCallID != "call_2" || second[4].Text() != "ran read_file" {
		t.Errorf("tool results: %+v %+v", second[3], second[4])
	}
}

func TestSDKCountAndModels(t *testing.T) {
	client, _, _ := newClient(t)
	ctx := context.Background()
	n, err := client.Models.CountTokens(ctx, "auto", []*genai.Content{genai.NewContentFromText("foo", genai.RoleUser)}, nil)
	if err != nil || n.TotalTokens != 7 {
		t.Fatalf("count %+v %v", n, err)
	}
	page, err := client.Models.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Name != "models/auto" || page.Items[0].DisplayName != "switchyard: decides" ||
		page.Items[0].InputTokenLimit != 262144 || page.Items[1].DisplayName != "local" || len(page.Items[0].SupportedActions) != 3 {
		t.Errorf("models: %+v", page.Items)
	}
	m, err := client.Models.Get(ctx, "local", nil)
	if err != nil || m.Name != "models/local" {
		t.Errorf("get: %+v %v", m, err)
	}
	_, err = client.Models.Get(ctx, "nope", nil)
	var ae genai.APIError
	if !errors.As(err, &ae) || ae.Code != 404 || ae.Status != "NOT_FOUND" {
		t.Errorf("unknown model: %v", err)
	}
}

func TestSDKErrors(t *testing.T) {
	client, _, _ := newClient(t)
	for _, c := range []struct {
		name   string
		e      ingress.Error
		status int
		word   string
		msg    string
	}{
		{"unavailable", ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "no provider can take the job now"}, 503, "UNAVAILABLE", "no provider"},
		{"privacy", ingress.Error{Status: 403, Code: ingress.CodePrivacy, Message: "private repository: cloud refused"}, 403, "PERMISSION_DENIED", "private"},
		{"rate", ingress.Error{Status: 429, Code: ingress.CodeRateLimited, Message: "slow down", RetryAfter: 2 * time.Second}, 429, "RESOURCE_EXHAUSTED", "slow down"},
		{"context", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "too big", Tokens: 300000, Limit: 262144}, 400, "INVALID_ARGUMENT",
			"The input token count (300000) exceeds the maximum number of tokens allowed (262144). too big"},
		{"auth", ingress.Error{Status: 401, Code: ingress.CodeUnauthorized, Message: "token"}, 401, "UNAUTHENTICATED", "token"},
		{"timeout", ingress.Error{Status: 504, Code: ingress.CodeTimeout, Message: "slow"}, 504, "DEADLINE_EXCEEDED", "slow"},
		{"too-large", ingress.Error{Status: 413, Code: ingress.CodeTooLarge, Message: "big"}, 400, "INVALID_ARGUMENT", "big"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr, _ := json.Marshal(c.e)
			cfg := toolConfig()
			cfg.HTTPOptions = &genai.HTTPOptions{Headers: http.Header{"X-Test-Error": {string(hdr)}}}
			_, err := client.Models.GenerateContent(context.Background(), "auto", []*genai.Content{genai.NewContentFromText("x", genai.RoleUser)}, cfg)
			var ae genai.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v", err)
			}
			if ae.Code != c.status || ae.Status != c.word || !strings.HasPrefix(ae.Message, c.msg) || len(ae.Details) == 0 || ae.Details[0]["reason"] != c.e.Code {
				t.Errorf("got %+v", ae)
			}
			if c.e.RetryAfter > 0 && (len(ae.Details) != 2 || ae.Details[1]["retryDelay"] != "2s") {
				t.Errorf("retry info %+v", ae.Details)
			}
		})
	}
	// A bad request is Google's 400 with the field named.
	_, err := client.Models.GenerateContent(context.Background(), "auto", []*genai.Content{genai.NewContentFromText("x", genai.RoleUser)},
		&genai.GenerateContentConfig{CandidateCount: 3})
	var ae genai.APIError
	if !errors.As(err, &ae) || ae.Code != 400 || ae.Status != "INVALID_ARGUMENT" || !strings.Contains(ae.Message, "candidateCount") {
		t.Errorf("decode error: %v", err)
	}
	// A stream that fails after it began ends in the SDK's error, typed,
	// with no finish reason before it.
	cfg := toolConfig()
	cfg.HTTPOptions = &genai.HTTPOptions{Headers: http.Header{"X-Test-Cut": {"1"}}}
	var finished bool
	var serr error
	for resp, err := range client.Models.GenerateContentStream(context.Background(), "auto", []*genai.Content{genai.NewContentFromText("x", genai.RoleUser)}, cfg) {
		if err != nil {
			serr = err
			break
		}
		finished = finished || resp.Candidates[0].FinishReason != ""
	}
	if !errors.As(serr, &ae) || ae.Code != 503 || ae.Status != "UNAVAILABLE" || finished {
		t.Errorf("cut stream: err %v, finished %v", serr, finished)
	}
}
