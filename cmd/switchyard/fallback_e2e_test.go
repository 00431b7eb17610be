package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

func post(t *testing.T, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

const hello = `{"messages":[{"role":"user","content":"hello"}]}`

// TestLocalDown: a public job goes to the cloud; a private one gets
// upstream_unavailable naming the local provider, and nothing leaves.
func TestLocalDown(t *testing.T) {
	g := startFull(t, rigConfig{ollamaURL: "http://" + freePort(t)})
	g.mistral.Enqueue(mistralfake.Reply{Text: "from the cloud"})
	resp, body := post(t, g.url, hello, map[string]string{"X-Switchyard-Repo": g.public})
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "devstral" || !strings.Contains(body, "from the cloud") ||
		resp.Header.Get("X-Switchyard-Reason") != "local_unavailable" {
		t.Errorf("public: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	before := len(g.mistral.Requests()) + len(g.gemini.Requests())
	resp, body = post(t, g.url, hello, map[string]string{"X-Switchyard-Repo": g.private})
	if resp.StatusCode != 503 || !strings.Contains(body, `"upstream_unavailable"`) || !strings.Contains(body, "local") {
		t.Errorf("private: %d %s", resp.StatusCode, body)
	}
	if len(g.mistral.Requests())+len(g.gemini.Requests()) != before {
		t.Fatal("a private job reached the cloud while the local model was down")
	}
}

// TestCloud429ThenNextCloud: Devstral rate-limits past its retries; Gemini
// answers, and the headers say so.
func TestCloud429ThenNextCloud(t *testing.T) {
	g := startFull(t, rigConfig{edit: func(c *configs.Config) { c.Policy.Heavy.MinFiles = 1 }})
	g.mistral.Enqueue(mistralfake.Reply{Status: 429, RetryAfter: "0", Times: 10})
	g.gemini.Enqueue(geminifake.TextReply("gemini here"))
	resp, body := post(t, g.url, hello, map[string]string{"X-Switchyard-Repo": g.public, "X-Switchyard-Files": "3"})
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "gemini" || !strings.Contains(body, "gemini here") ||
		!strings.Contains(resp.Header.Get("X-Switchyard-Fallback"), "devstral: rate_limited") {
		t.Errorf("%d route %s fallback %q %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Fallback"), body)
	}
}

// TestMidStreamCutFromOllama: the client sees an error event and no [DONE].
func TestMidStreamCutFromOllama(t *testing.T) {
	g := startFull(t, rigConfig{})
	g.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "partial "}, {Cut: true}}})
	resp, body := post(t, g.url, `{"stream":true,"messages":[{"role":"user","content":"hello"}]}`, map[string]string{"X-Switchyard-Repo": g.public})
	if resp.StatusCode != 200 || !strings.Contains(body, "partial") || strings.Contains(body, "[DONE]") || !strings.Contains(body, `"error"`) {
		t.Errorf("stream:\n%s", body)
	}
	g.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "partial "}, {Error: "an error was encountered while running the model"}}})
	_, body = post(t, g.url, `{"stream":true,"messages":[{"role":"user","content":"hello"}]}`, map[string]string{"X-Switchyard-Repo": g.private})
	if strings.Contains(body, "[DONE]") || !strings.Contains(body, "an error was encountered") {
		t.Errorf("error line:\n%s", body)
	}
}

// TestLocalThenGemini: a conversation whose tool calls were made by the
// local model continues on Gemini, which needs thought signatures that
// history never had: switchyard sends Gemini's documented placeholder and
// the strict fake accepts it.
func TestLocalThenGemini(t *testing.T) {
	g := startFull(t, rigConfig{})
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDefinition{Name: "read_file",
		Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)}}}
	local := clientFor(g.url, map[string]string{"X-Switchyard-Repo": g.public})
	g.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: "read_file", Arguments: `{"path":"go.mod"}`}}}}})
	msgs := []openai.ChatCompletionMessage{{Role: "user", Content: "what module is this?"}}
	resp, err := local.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "local", Messages: msgs, Tools: tools})
	if err != nil || resp.Header().Get("X-Switchyard-Route") != "local" || len(resp.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("local turn: %+v %v", resp, err)
	}
	call := resp.Choices[0].Message.ToolCalls[0]
	msgs = append(msgs, resp.Choices[0].Message, openai.ChatCompletionMessage{Role: "tool", ToolCallID: call.ID, Content: "module example.com/x"})

	g.gemini.Enqueue(geminifake.TextReply("It is example.com/x."))
	resp, err = local.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "gemini", Messages: msgs, Tools: tools})
	if err != nil {
		t.Fatalf("gemini turn: %v", err)
	}
	if resp.Header().Get("X-Switchyard-Route") != "gemini" || resp.Choices[0].Message.Content != "It is example.com/x." {
		t.Errorf("gemini turn: %+v", resp)
	}
}

// TestKeysNeverWritten runs jobs with distinctive keys through every path
// (success, upstream errors that echo the key, fallbacks) and searches
// everything switchyard wrote: logs, the audit log, metrics, responses.
func TestKeysNeverWritten(t *testing.T) {
	var logs bytes.Buffer
	old := os.Stderr
	r, w, _ := os.Pipe()
	os.Stderr = w
	done := make(chan struct{})
	go func() { io.Copy(&logs, r); close(done) }()

	g := startFull(t, rigConfig{edit: func(c *configs.Config) { c.Policy.Heavy.MinFiles = 1 }})
	_ = slog.Default()
	var seen bytes.Buffer
	keys := []string{mistralfake.DefaultAPIKey, "fake-key"}
	hdr := map[string]string{"X-Switchyard-Repo": g.public, "X-Switchyard-Files": "3"}
	g.mistral.Enqueue(mistralfake.Reply{Text: "ok"})
	g.mistral.Enqueue(mistralfake.Reply{Status: 401, Body: `{"message":"Unauthorized: key ` + keys[0] + ` is not valid","type":"invalid_request_error"}`})
	g.gemini.Enqueue(geminifake.Reply{Status: 400, Message: "API key not valid: " + keys[1]})
	g.mistral.Enqueue(mistralfake.Reply{Status: 500, Times: 10})
	g.gemini.Enqueue(geminifake.TextReply("fine"))
	for i := 0; i < 4; i++ {
		resp, body := post(t, g.url, hello, hdr)
		seen.WriteString(body)
		for k, v := range resp.Header {
			seen.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
	}
	m, _ := http.Get(g.url + "/metrics")
	io.Copy(&seen, m.Body)
	m.Body.Close()
	rz, _ := http.Get(g.url + "/readyz")
	io.Copy(&seen, rz.Body)
	rz.Body.Close()
	g.stop(t)
	w.Close()
	<-done
	os.Stderr = old
	audit, _ := os.ReadFile(g.dir + "/egress.jsonl")
	usage, _ := os.ReadFile(g.dir + "/usage.jsonl")
	for _, k := range keys {
		for name, text := range map[string]string{"responses": seen.String(), "logs": logs.String(), "audit": string(audit), "usage": string(usage)} {
			if strings.Contains(text, k) {
				t.Errorf("the key %q appears in the %s", k, name)
			}
		}
	}
	if !strings.Contains(string(audit), `"provider":"devstral"`) {
		t.Errorf("the jobs did not reach the cloud; the test proves nothing: %s", audit)
	}
}
