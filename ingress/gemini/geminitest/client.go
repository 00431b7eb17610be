// Package geminitest is the Gemini API client of the conformance suites
// (ingresstest.Client), driving switchyard through Google's own Go SDK
// (google.golang.org/genai) as Gemini CLI drives Gemini: the history
// resent every turn with the model's content as the SDK returned it,
// function responses answering the calls by id and name, streams read
// response by response.
package geminitest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

// Client is the genai SDK.
type Client struct{}

var _ ingresstest.Client = Client{}

// Name is the dialect's.
func (Client) Name() string { return "gemini" }

// New begins a conversation.
func (Client) New(base, model string) ingresstest.Conversation {
	var schema map[string]any
	json.Unmarshal([]byte(ingresstest.ReadFile.Schema), &schema)
	tool := &genai.Tool{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: ingresstest.ReadFile.Name,
		Description: ingresstest.ReadFile.Description, ParametersJsonSchema: schema}}}
	return &conversation{base: base, model: model, tools: []*genai.Tool{tool}}
}

type conversation struct {
	base, model string
	client      *genai.Client
	tools       []*genai.Tool
	history     []*genai.Content
	calls       []*genai.FunctionCall // the last answer's
}

func (c *conversation) User(text string) {
	c.history = append(c.history, genai.NewContentFromText(text, genai.RoleUser))
}

func (c *conversation) Results(contents ...string) {
	parts := make([]*genai.Part, len(contents))
	for i, s := range contents {
		fc := c.calls[i]
		parts[i] = &genai.Part{FunctionResponse: &genai.FunctionResponse{ID: fc.ID, Name: fc.Name, Response: map[string]any{"output": s}}}
	}
	c.history = append(c.history, &genai.Content{Role: genai.RoleUser, Parts: parts})
}

func (c *conversation) Send(ctx context.Context, stream bool) (*ingresstest.Answer, error) {
	if c.client == nil {
		cl, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "unused-by-switchyard", Backend: genai.BackendGeminiAPI,
			HTTPOptions: genai.HTTPOptions{BaseURL: c.base}})
		if err != nil {
			return nil, err
		}
		c.client = cl
	}
	var hdr http.Header
	cfg := &genai.GenerateContentConfig{Tools: c.tools, MaxOutputTokens: 1024}
	var content genai.Content
	content.Role = genai.RoleModel
	var last *genai.GenerateContentResponse
	if stream {
		for resp, err := range c.client.Models.GenerateContentStream(ctx, c.model, c.history, cfg) {
			if err != nil {
				return nil, failure(err)
			}
			last = resp
			if len(resp.Candidates) > 0 && resp.Candidates[0].Content != nil {
				content.Parts = append(content.Parts, resp.Candidates[0].Content.Parts...)
			}
		}
		if last == nil {
			return nil, errors.New("the stream held no response")
		}
	} else {
		resp, err := c.client.Models.GenerateContent(ctx, c.model, c.history, cfg)
		if err != nil {
			return nil, failure(err)
		}
		last = resp
		if len(resp.Candidates) > 0 && resp.Candidates[0].Content != nil {
			content.Parts = resp.Candidates[0].Content.Parts
		}
	}
	if last.SDKHTTPResponse != nil {
		hdr = last.SDKHTTPResponse.Headers
	}
	a := &ingresstest.Answer{Route: hdr.Get("X-Switchyard-Route")}
	if u := last.UsageMetadata; u != nil {
		a.PromptTokens, a.OutputTokens = int(u.PromptTokenCount), int(u.CandidatesTokenCount+u.ThoughtsTokenCount)
	}
	if len(last.Candidates) == 0 {
		return nil, errors.New("the answer holds no candidate")
	}
	var text strings.Builder
	c.calls = nil
	for _, p := range content.Parts {
		switch {
		case p.FunctionCall != nil:
			a.Calls = append(a.Calls, ingresstest.Call{ID: p.FunctionCall.ID, Name: p.FunctionCall.Name, Args: p.FunctionCall.Args})
			c.calls = append(c.calls, p.FunctionCall)
		case !p.Thought:
			text.WriteString(p.Text)
		}
	}
	a.Text = text.String()
	switch fr := last.Candidates[0].FinishReason; {
	case fr == genai.FinishReasonMaxTokens:
		a.Finish = string(chat.FinishLength)
	case fr == genai.FinishReasonStop && len(a.Calls) > 0:
		a.Finish = string(chat.FinishToolCalls)
	case fr == genai.FinishReasonStop:
		a.Finish = string(chat.FinishStop)
	default:
		return nil, errors.New("finishReason " + string(fr))
	}
	c.history = append(c.history, &content)
	return a, nil
}

// failure is the SDK's error as an ingresstest.Failure when switchyard
// answered with one; Type is Google's status word (INVALID_ARGUMENT, ...).
func failure(err error) error {
	var ae genai.APIError
	if errors.As(err, &ae) {
		return &ingresstest.Failure{Status: ae.Code, Type: ae.Status, Message: ae.Message}
	}
	return err
}
