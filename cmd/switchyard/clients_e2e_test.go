//go:build e2e

package main

// Real clients, unmodified, against `switchyard serve` in-process: the
// official openai npm SDK, and the coding agents Qwen Code and opencode run
// headless. The upstreams are the strict fakes (ollamafake for the local
// model, mistralfake for the cloud); a scripting front on each decides every
// answer from what the agent sent, so an agent's side requests (opencode's
// title, Qwen Code's memory extraction) cannot take an answer meant for its
// main turn.
//
// Install the clients first (npm only, outside the repository), then run:
//
//	bash .ci/install-clients.sh && go test -tags e2e ./cmd/switchyard/ -run Clients
//
// Nothing here touches the network: every address is on 127.0.0.1, the
// agents' own update checks, telemetry and plugin installs are switched off
// (testdata/clients/README.md says how), and no key is needed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestClientsOpenAISDK: the official openai npm SDK, plain, streamed with
// include_usage, a tool-call round trip, a streamed tool call assembled by
// the SDK's own accumulator, and a stream whose first chunk comes only after
// several keep-alive comments.
func TestClientsOpenAISDK(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	g := startClientRig(t, rigPolicy{defaultPrivacy: "private", heavyMinFiles: 5, heavyMinTk: 100000, keepAlive: time.Second})
	// The fake's first chunk comes this long after the request: with a 1 s
	// keep-alive interval, at least three comments precede it.
	const slowDelay = 3500 * time.Millisecond
	text := func(label string, chunks ...string) (ollamafake.Reply, string, bool) {
		return ollamafake.Text(chunks...), label, true
	}
	call := func(label, args string) (ollamafake.Reply, string, bool) {
		return ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: "get_weather", Arguments: args}}}}}, label, true
	}
	g.local.setScript(func(tn turn) (ollamafake.Reply, string, bool) {
		switch {
		case tn.lastRole == "tool":
			return text("tools-final", "It is 21 °C", " in Paris.")
		case strings.HasPrefix(tn.lastText, "plain:"):
			return text("plain", "Hello", " from the", " local model.")
		case strings.HasPrefix(tn.lastText, "stream:"):
			return text("stream", "one", ", two", ", three")
		case strings.HasPrefix(tn.lastText, "tools:"):
			return call("tools", `{"city":"Paris","unit":"c"}`)
		case strings.HasPrefix(tn.lastText, "streamtools:"):
			return call("streamtools", `{"city":"Oslo"}`)
		case strings.HasPrefix(tn.lastText, "slow:"):
			r, l, ok := text("slow", "one", ", two", ", three")
			r.FirstChunkDelay = slowDelay
			return r, l, ok
		}
		return ollamafake.Reply{}, "", false
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := newHome(t)
	start := time.Now()
	stdout, stderr, err := k.run(ctx, home, k.env(home, "SWITCHYARD_BASE_URL="+g.base+"/v1", "SWITCHYARD_CLIENTS="+k.dir),
		filepath.Join(k.nodeBin, "node"), filepath.Join(mustAbs(t, "testdata/clients/openai_sdk.mjs")))
	t.Logf("openai SDK script took %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("node openai_sdk.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	var got struct {
		SDKVersion  string `json:"sdk_version"`
		NodeVersion string `json:"node_version"`
		Plain       struct {
			Error        string            `json:"error"`
			Headers      map[string]string `json:"headers"`
			Object, ID   string
			Model        string
			Content      string
			Role         string
			FinishReason string `json:"finish_reason"`
			Usage        sdkUsage
		}
		Tools struct {
			Error              string        `json:"error"`
			FirstFinishReason  string        `json:"first_finish_reason"`
			FirstContent       *string       `json:"first_content"`
			ToolCalls          []sdkToolCall `json:"tool_calls"`
			SecondFinishReason string        `json:"second_finish_reason"`
			SecondContent      string        `json:"second_content"`
		}
		StreamTools struct {
			Error           string         `json:"error"`
			FinishReason    string         `json:"finish_reason"`
			ToolCalls       []sdkToolCall  `json:"tool_calls"`
			ParsedArguments map[string]any `json:"parsed_arguments"`
			Usage           *sdkUsage
		} `json:"stream_tools"`
	}
	var streams struct {
		Stream     sdkStream `json:"stream"`
		SlowStream sdkStream `json:"slow_stream"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("the script's output is not JSON: %v\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	json.Unmarshal([]byte(stdout), &streams)
	t.Logf("openai SDK %s on node %s", got.SDKVersion, got.NodeVersion)
	if got.SDKVersion != strings.TrimPrefix(pinOpenAI, "openai@") {
		t.Errorf("sdk_version %q, want the pinned %s", got.SDKVersion, pinOpenAI)
	}

	t.Run("plain", func(t *testing.T) {
		p := got.Plain
		if p.Error != "" {
			t.Fatalf("the SDK failed: %s", p.Error)
		}
		checkSwitchyardHeaders(t, p.Headers, "local", "private")
		if !strings.HasPrefix(p.Headers["content-type"], "application/json") {
			t.Errorf("content-type %q", p.Headers["content-type"])
		}
		if p.Object != "chat.completion" || !strings.HasPrefix(p.ID, "chatcmpl-") || p.Model != "qwen3-coder:30b" {
			t.Errorf("object %q id %q model %q", p.Object, p.ID, p.Model)
		}
		if p.Content != "Hello from the local model." || p.Role != "assistant" || p.FinishReason != "stop" {
			t.Errorf("content %q role %q finish_reason %q", p.Content, p.Role, p.FinishReason)
		}
		p.Usage.check(t)
	})
	t.Run("stream-include-usage", func(t *testing.T) {
		streams.Stream.check(t, "one, two, three")
	})
	t.Run("tool-round-trip", func(t *testing.T) {
		tl := got.Tools
		if tl.Error != "" {
			t.Fatalf("the SDK failed: %s", tl.Error)
		}
		if tl.FirstFinishReason != "tool_calls" || len(tl.ToolCalls) != 1 {
			t.Fatalf("first answer: finish_reason %q, tool_calls %+v", tl.FirstFinishReason, tl.ToolCalls)
		}
		tl.ToolCalls[0].check(t, "get_weather", map[string]any{"city": "Paris", "unit": "c"})
		if tl.SecondFinishReason != "stop" || tl.SecondContent != "It is 21 °C in Paris." {
			t.Errorf("second answer: finish_reason %q content %q", tl.SecondFinishReason, tl.SecondContent)
		}
		// What reached Ollama for the second turn: the assistant's call and
		// the tool's answer, named as Ollama wants (tool_name).
		var second *ollamafake.ChatRequest
		for _, r := range g.ollama.ChatRequests() {
			if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == "tool" {
				second = &r
			}
		}
		if second == nil {
			t.Fatal("no request with a tool result reached the fake Ollama")
		}
		msgs := second.Messages
		last, prev := msgs[len(msgs)-1], msgs[len(msgs)-2]
		if last.Content != `{"city":"Paris","temp_c":21}` || last.ToolName != "get_weather" {
			t.Errorf("tool message reached Ollama as %+v", last)
		}
		if prev.Role != "assistant" || len(prev.ToolCalls) != 1 || prev.ToolCalls[0].Function.Name != "get_weather" {
			t.Errorf("assistant turn reached Ollama as %+v", prev)
		}
	})
	t.Run("streamed-tool-call", func(t *testing.T) {
		st := got.StreamTools
		if st.Error != "" {
			t.Fatalf("the SDK failed: %s", st.Error)
		}
		if st.FinishReason != "tool_calls" || len(st.ToolCalls) != 1 {
			t.Fatalf("finish_reason %q tool_calls %+v", st.FinishReason, st.ToolCalls)
		}
		st.ToolCalls[0].check(t, "get_weather", map[string]any{"city": "Oslo"})
		if st.ParsedArguments["city"] != "Oslo" {
			t.Errorf("the SDK parsed the arguments as %v", st.ParsedArguments)
		}
		if st.Usage == nil {
			t.Error("no usage on the streamed tool call with include_usage")
		} else {
			st.Usage.check(t)
		}
	})
	t.Run("keep-alives-before-first-chunk", func(t *testing.T) {
		streams.SlowStream.check(t, "one, two, three")
		var slow []exchange
		for _, ex := range g.tap.exchanges(t) {
			if bytes.Contains(ex.body, []byte(`"slow: count to three"`)) {
				slow = append(slow, ex)
			}
		}
		if len(slow) != 1 {
			t.Fatalf("%d slow requests went through, want 1", len(slow))
		}
		// 3.5 s of silence at a 1 s interval: three comments, give or take
		// scheduling; at least two proves they came and were ignored.
		t.Logf("%d keep-alive comments preceded the first chunk", slow[0].keepAlives)
		if slow[0].keepAlives < 2 || !bytes.Contains(slow[0].answer, []byte(": keep-alive\n\n")) {
			t.Errorf("%d keep-alive comments before the first chunk, want at least 2:\n%.400s", slow[0].keepAlives, slow[0].answer)
		}
	})
	want := []string{"plain", "stream", "tools", "tools-final", "streamtools", "slow"}
	var labels []string
	for _, s := range g.local.turns() {
		labels = append(labels, s.label)
	}
	if !slices.Equal(labels, want) {
		t.Errorf("the fake Ollama answered %q, want %q (a retry or an extra request?)", labels, want)
	}
	if n := len(g.cloudChats()); n != 0 {
		t.Errorf("the cloud fake received %d chat requests; every job here is private", n)
	}
}

type sdkUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (u sdkUsage) check(t *testing.T) {
	t.Helper()
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v", u)
	}
}

type sdkStream struct {
	Error                string            `json:"error"`
	Headers              map[string]string `json:"headers"`
	Content              string
	Chunks               int
	DistinctIDs          int    `json:"distinct_ids"`
	FinishReason         string `json:"finish_reason"`
	Usage                *sdkUsage
	UsageChunkChoices    *int `json:"usage_chunk_choices"`
	UsageOnContentChunks int  `json:"usage_on_content_chunks"`
}

// check holds a stream with include_usage to the OpenAI reference: one id
// throughout, the text whole, a finish reason, and usage on one extra final
// chunk whose choices are empty.
func (s sdkStream) check(t *testing.T, want string) {
	t.Helper()
	if s.Error != "" {
		t.Fatalf("the SDK failed: %s", s.Error)
	}
	checkSwitchyardHeaders(t, s.Headers, "local", "private")
	if !strings.HasPrefix(s.Headers["content-type"], "text/event-stream") {
		t.Errorf("content-type %q", s.Headers["content-type"])
	}
	if s.Content != want || s.FinishReason != "stop" || s.DistinctIDs != 1 || s.Chunks < 3 {
		t.Errorf("content %q finish_reason %q ids %d chunks %d", s.Content, s.FinishReason, s.DistinctIDs, s.Chunks)
	}
	if s.Usage == nil || s.UsageChunkChoices == nil {
		t.Fatal("no usage chunk, though stream_options.include_usage was set")
	}
	s.Usage.check(t)
	if *s.UsageChunkChoices != 0 || s.UsageOnContentChunks != 0 {
		t.Errorf("the usage chunk has %d choices and %d content chunks carry usage; want 0 and 0", *s.UsageChunkChoices, s.UsageOnContentChunks)
	}
}

type sdkToolCall struct {
	ID, Type, Name, Arguments string
}

func (c sdkToolCall) check(t *testing.T, name string, args map[string]any) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(c.Arguments), &got); err != nil {
		t.Errorf("arguments %q are not JSON: %v", c.Arguments, err)
	}
	if c.ID == "" || c.Type != "function" || c.Name != name || fmt.Sprint(got) != fmt.Sprint(args) {
		t.Errorf("tool call %+v, want %s(%v) with an id", c, name, args)
	}
}

func checkSwitchyardHeaders(t *testing.T, h map[string]string, route, privacy string) {
	t.Helper()
	if h["x-switchyard-route"] != route || h["x-switchyard-privacy"] != privacy || h["x-switchyard-reason"] == "" || h["x-switchyard-estimated-tokens"] == "" {
		t.Errorf("switchyard headers %v, want route %s privacy %s", h, route, privacy)
	}
}
