// Package openaichattest is the OpenAI chat completions client of the
// conformance suites (ingresstest.Client), driving switchyard through
// go-openai as OpenAI-speaking agents do.
package openaichattest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/ingress/ingresstest"
	"github.com/switchyard/switchyard/ingress/openaichat"
)

// Client is the go-openai client.
type Client struct{}

var _ ingresstest.Client = Client{}

// Name is the dialect's.
func (Client) Name() string { return openaichat.Name }

// New begins a conversation.
func (Client) New(base, model string) ingresstest.Conversation {
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = base + "/v1"
	return &conversation{client: openai.NewClientWithConfig(cfg), model: model}
}

var readFile = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
	Name: ingresstest.ReadFile.Name, Description: ingresstest.ReadFile.Description,
	Parameters: json.RawMessage(ingresstest.ReadFile.Schema),
}}

type conversation struct {
	client  *openai.Client
	model   string
	history []openai.ChatCompletionMessage
	calls   []openai.ToolCall // of the last answer
}

func (c *conversation) User(text string) {
	c.history = append(c.history, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: text})
}

func (c *conversation) Results(contents ...string) {
	for i, s := range contents {
		c.history = append(c.history, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: c.calls[i].ID, Content: s})
	}
}

func (c *conversation) Send(ctx context.Context, stream bool) (*ingresstest.Answer, error) {
	req := openai.ChatCompletionRequest{Model: c.model, Messages: c.history, Tools: []openai.Tool{readFile}}
	var msg openai.ChatCompletionMessage
	a := &ingresstest.Answer{}
	if stream {
		req.Stream = true
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		st, err := c.client.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return nil, failure(err)
		}
		defer st.Close()
		a.Route = st.Header().Get("X-Switchyard-Route")
		if msg, err = accumulate(st, a); err != nil {
			return nil, err
		}
	} else {
		resp, err := c.client.CreateChatCompletion(ctx, req)
		if err != nil {
			return nil, failure(err)
		}
		if len(resp.Choices) != 1 {
			return nil, errors.New("the answer has no choice")
		}
		msg = resp.Choices[0].Message
		a.Finish = string(resp.Choices[0].FinishReason)
		a.PromptTokens, a.OutputTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		a.Route = resp.Header().Get("X-Switchyard-Route")
	}
	a.Text = msg.Content
	for _, tc := range msg.ToolCalls {
		if tc.Type != openai.ToolTypeFunction {
			return nil, errors.New("a tool call of type " + string(tc.Type))
		}
		var args map[string]any
		if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil {
			return nil, errors.New("tool call arguments are not a JSON object: " + tc.Function.Arguments)
		}
		a.Calls = append(a.Calls, ingresstest.Call{ID: tc.ID, Name: tc.Function.Name, Args: args})
	}
	c.calls = msg.ToolCalls
	c.history = append(c.history, msg)
	return a, nil
}

// accumulate reads a stream into the message it makes, as an agent does:
// text in order, tool calls gathered by index.
func accumulate(st *openai.ChatCompletionStream, a *ingresstest.Answer) (openai.ChatCompletionMessage, error) {
	msg := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant}
	var text strings.Builder
	byIndex := map[int]int{}
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return msg, failure(err)
		}
		if c.Usage != nil {
			a.PromptTokens, a.OutputTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
		}
		if len(c.Choices) == 0 {
			continue
		}
		d := c.Choices[0].Delta
		text.WriteString(d.Content)
		for _, tc := range d.ToolCalls {
			if tc.Index == nil {
				return msg, errors.New("a streamed tool call without index")
			}
			i, ok := byIndex[*tc.Index]
			if !ok {
				i = len(msg.ToolCalls)
				byIndex[*tc.Index] = i
				msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{Type: openai.ToolTypeFunction})
			}
			acc := &msg.ToolCalls[i]
			if tc.ID != "" {
				acc.ID = tc.ID
			}
			if tc.Function.Name != "" {
				acc.Function.Name = tc.Function.Name
			}
			acc.Function.Arguments += tc.Function.Arguments
		}
		if f := c.Choices[0].FinishReason; f != "" {
			a.Finish = string(f)
		}
	}
	msg.Content = text.String()
	return msg, nil
}

// failure is go-openai's error as an ingresstest.Failure when switchyard
// answered with one.
func failure(err error) error {
	var ae *openai.APIError
	if errors.As(err, &ae) {
		code, _ := ae.Code.(string)
		return &ingresstest.Failure{Status: ae.HTTPStatusCode, Type: code, Message: ae.Message}
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return &ingresstest.Failure{Status: re.HTTPStatusCode, Message: re.Error()}
	}
	return err
}
