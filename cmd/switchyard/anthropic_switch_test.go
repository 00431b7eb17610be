package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// anthropicTalk is one Anthropic-shaped conversation through switchyard,
// the history resent every turn as Claude Code resends it.
type anthropicTalk struct {
	t       *testing.T
	client  anthropic.Client
	tools   []anthropic.ToolUnionParam
	history []anthropic.MessageParam
}

// send asks model for the next turn and returns the answer and the route.
func (c *anthropicTalk) send(model string) (*anthropic.Message, string) {
	c.t.Helper()
	var resp *http.Response
	msg, err := c.client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: anthropic.Model(model), MaxTokens: 1024, Messages: c.history, Tools: c.tools,
	}, option.WithResponseInto(&resp))
	if err != nil {
		c.t.Fatalf("turn on %s: %v", model, err)
	}
	c.history = append(c.history, msg.ToParam())
	return msg, resp.Header.Get("X-Switchyard-Route")
}

// answer gives the result of the answer's one tool call.
func (c *anthropicTalk) answer(msg *anthropic.Message, result string) string {
	c.t.Helper()
	for _, b := range msg.Content {
		if b.Type == "tool_use" {
			c.history = append(c.history, anthropic.NewUserMessage(anthropic.NewToolResultBlock(b.ID, result, false)))
			return b.ID
		}
	}
	c.t.Fatalf("the answer calls no tool: %+v", msg.Content)
	return ""
}

// mistralIDs are the tool-call ids of a request Devstral received, in
// order, each call's and its result's.
func mistralIDs(t *testing.T, r mistralfake.Request) (calls, results []string) {
	t.Helper()
	for _, m := range r.Messages {
		for _, c := range m.ToolCalls {
			calls = append(calls, c.ID)
		}
		if m.Role == "tool" {
			results = append(results, m.ToolCallID)
		}
	}
	return calls, results
}

// geminiCallSignatures are the thoughtSignatures on the functionCall
// parts of a request Gemini received, in order ("" for none).
func geminiCallSignatures(t *testing.T, body []byte) []string {
	t.Helper()
	var req struct {
		Contents []struct {
			Parts []struct {
				FunctionCall     *json.RawMessage `json:"functionCall"`
				ThoughtSignature string           `json:"thoughtSignature"`
			} `json:"parts"`
		} `json:"contents"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.FunctionCall != nil {
				out = append(out, p.ThoughtSignature)
			}
		}
	}
	return out
}

// TestAnthropicConversationAcrossProviders holds one Anthropic-shaped
// conversation that moves between every provider and back: it starts
// with a tool call Claude itself made (a toolu_ id), goes to Devstral
// (which wants nine-character ids, paired), to Gemini (which wants its own
// thought signatures back), to Devstral again, to Gemini again, and ends
// on the local model. Each strict fake must accept every turn, Devstral
// must see the same ids for the same calls as the history grows, and
// Gemini must get back exactly the signature it issued.
func TestAnthropicConversationAcrossProviders(t *testing.T) {
	g := startFull(t, rigConfig{})
	c := &anthropicTalk{t: t,
		client: anthropic.NewClient(option.WithBaseURL(g.url), option.WithAPIKey("unused"), option.WithMaxRetries(0),
			option.WithHeader("X-Switchyard-Repo", g.public)),
		tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "read_file",
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"path": map[string]any{"type": "string"}}, Required: []string{"path"}}}}},
	}
	const claudeID = "toolu_01A09q90qw90lq917835lq9"
	c.history = []anthropic.MessageParam{
		anthropic.NewUserMessage(anthropic.NewTextBlock("What do go.mod, main.go and util.go say?")),
		anthropic.NewAssistantMessage(anthropic.NewToolUseBlock(claudeID, map[string]any{"path": "go.mod"}, "read_file")),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(claudeID, "module example.com/x", false)),
	}
	nine := regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)
	checkMistral := func(r mistralfake.Request, want int) []string {
		t.Helper()
		calls, results := mistralIDs(t, r)
		if len(calls) != want || len(results) != want {
			t.Fatalf("devstral got %d calls and %d results, want %d: %s", len(calls), len(results), want, r.Body)
		}
		for i := range calls {
			if !nine.MatchString(calls[i]) || calls[i] != results[i] {
				t.Errorf("devstral call %d has id %q, its result %q: want the same nine characters", i, calls[i], results[i])
			}
		}
		return calls
	}

	// Devstral, over Claude's call.
	g.mistral.Enqueue(mistralfake.Reply{ToolCalls: []mistralfake.ToolCall{{Name: "read_file", Arguments: `{"path":"main.go"}`}}})
	msg, route := c.send("devstral")
	if route != "devstral" {
		t.Fatalf("route %q", route)
	}
	devstralID := c.answer(msg, "package main")
	first, _ := g.mistral.LastRequest()
	ids1 := checkMistral(first, 1)

	// Gemini, over Claude's and Devstral's calls.
	g.gemini.Enqueue(geminifake.CallsReply(geminifake.Call{Name: "read_file", Args: map[string]any{"path": "util.go"}}))
	msg, route = c.send("gemini")
	if route != "gemini" {
		t.Fatalf("route %q", route)
	}
	geminiID := c.answer(msg, "package util")
	if geminiID == claudeID || geminiID == devstralID {
		t.Fatalf("gemini's call id %q repeats an earlier one", geminiID)
	}

	// Devstral again: the ids of the first two calls as it saw them before.
	g.mistral.Enqueue(mistralfake.Reply{Text: "three files read"})
	if _, route = c.send("devstral"); route != "devstral" {
		t.Fatalf("route %q", route)
	}
	again, _ := g.mistral.LastRequest()
	ids2 := checkMistral(again, 3)
	if ids2[0] != ids1[0] {
		t.Errorf("Claude's call went to devstral as %q, then as %q: ids must be stable as the history grows", ids1[0], ids2[0])
	}
	if ids2[1] != devstralID {
		t.Errorf("devstral's own call came back as %q, want its id %q", ids2[1], devstralID)
	}

	// Gemini again: its own call carries the signature it issued; the
	// others carry none of Gemini's (they get its documented placeholder).
	g.gemini.Enqueue(geminifake.TextReply("all read"))
	c.history = append(c.history, anthropic.NewUserMessage(anthropic.NewTextBlock("Summarise them.")))
	if _, route = c.send("gemini"); route != "gemini" {
		t.Fatalf("route %q", route)
	}
	reqs := g.gemini.Requests()
	sigs := geminiCallSignatures(t, reqs[len(reqs)-1].Body)
	if len(sigs) != 3 {
		t.Fatalf("gemini got %d function calls, want 3", len(sigs))
	}
	for i, s := range sigs {
		raw, _ := base64.StdEncoding.DecodeString(s)
		if own := g.gemini.Issued(raw); own != (i == 2) {
			t.Errorf("function call %d: signature issued by gemini %v, want %v", i, own, i == 2)
		}
	}

	// And home: the local model gets every call by its name.
	g.fake.Enqueue(ollamafake.Text("summary"))
	if _, route = c.send("local"); route != "local" {
		t.Fatalf("route %q", route)
	}
	var lastChat *ollamafake.ChatRequest
	for _, r := range g.fake.Requests() {
		if r.Chat != nil {
			lastChat = r.Chat
		}
	}
	var tools []string
	for _, m := range lastChat.Messages {
		if m.Role == "tool" {
			tools = append(tools, m.ToolName)
		}
	}
	if len(tools) != 3 || tools[0] != "read_file" || tools[2] != "read_file" {
		t.Errorf("the local model got tool results named %q", tools)
	}
}
