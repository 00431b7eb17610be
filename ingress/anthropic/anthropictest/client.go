// Package anthropictest is the Anthropic Messages client of the
// conformance suites (ingresstest.Client), driving switchyard through
// Anthropic's own Go SDK (anthropic-sdk-go/v2) as Claude Code and the SDK's
// users do: the history resent every turn as the SDK turns an answer into
// a parameter (Message.ToParam), streams read with the SDK's accumulator.
package anthropictest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

// Client is the Anthropic SDK.
type Client struct{}

var _ ingresstest.Client = Client{}

// Name is the dialect's.
func (Client) Name() string { return "anthropic" }

// New begins a conversation.
func (Client) New(base, model string) ingresstest.Conversation {
	c := anthropic.NewClient(option.WithBaseURL(base), option.WithAPIKey("unused-by-switchyard"), option.WithMaxRetries(0))
	var props map[string]any
	var schema struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	}
	json.Unmarshal([]byte(ingresstest.ReadFile.Schema), &schema)
	props = schema.Properties
	tool := anthropic.ToolParam{Name: ingresstest.ReadFile.Name, Description: anthropic.String(ingresstest.ReadFile.Description),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: props, Required: schema.Required}}
	return &conversation{client: c, model: model, tools: []anthropic.ToolUnionParam{{OfTool: &tool}}}
}

type conversation struct {
	client  anthropic.Client
	model   string
	tools   []anthropic.ToolUnionParam
	history []anthropic.MessageParam
	calls   []string // the tool_use ids of the last answer
}

func (c *conversation) User(text string) {
	c.history = append(c.history, anthropic.NewUserMessage(anthropic.NewTextBlock(text)))
}

func (c *conversation) Results(contents ...string) {
	blocks := make([]anthropic.ContentBlockParamUnion, len(contents))
	for i, s := range contents {
		blocks[i] = anthropic.NewToolResultBlock(c.calls[i], s, false)
	}
	c.history = append(c.history, anthropic.NewUserMessage(blocks...))
}

func (c *conversation) Send(ctx context.Context, stream bool) (*ingresstest.Answer, error) {
	params := anthropic.MessageNewParams{Model: anthropic.Model(c.model), MaxTokens: 1024, Messages: c.history, Tools: c.tools}
	var resp *http.Response
	var msg anthropic.Message
	if stream {
		st := c.client.Messages.NewStreaming(ctx, params, option.WithResponseInto(&resp))
		for st.Next() {
			if err := msg.Accumulate(st.Current()); err != nil {
				st.Close()
				return nil, err
			}
		}
		err := st.Err()
		st.Close()
		if err != nil {
			return nil, failure(err)
		}
	} else {
		m, err := c.client.Messages.New(ctx, params, option.WithResponseInto(&resp))
		if err != nil {
			return nil, failure(err)
		}
		msg = *m
	}
	a := &ingresstest.Answer{PromptTokens: int(msg.Usage.InputTokens), OutputTokens: int(msg.Usage.OutputTokens)}
	if resp != nil {
		a.Route = resp.Header.Get("X-Switchyard-Route")
	}
	switch msg.StopReason {
	case anthropic.StopReasonToolUse:
		a.Finish = string(chat.FinishToolCalls)
	case anthropic.StopReasonMaxTokens:
		a.Finish = string(chat.FinishLength)
	case anthropic.StopReasonEndTurn, anthropic.StopReasonStopSequence:
		a.Finish = string(chat.FinishStop)
	default:
		return nil, errors.New("stop_reason " + string(msg.StopReason))
	}
	var text strings.Builder
	c.calls = nil
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			var args map[string]any
			if err := json.Unmarshal(b.Input, &args); err != nil {
				return nil, errors.New("tool_use input is not a JSON object: " + string(b.Input))
			}
			a.Calls = append(a.Calls, ingresstest.Call{ID: b.ID, Name: b.Name, Args: args})
			c.calls = append(c.calls, b.ID)
		}
	}
	a.Text = text.String()
	c.history = append(c.history, msg.ToParam())
	return a, nil
}

// failure is the SDK's error as an ingresstest.Failure when switchyard
// answered with one.
func failure(err error) error {
	var ae *anthropic.Error
	if errors.As(err, &ae) {
		return &ingresstest.Failure{Status: ae.StatusCode, Type: string(ae.Type()), Message: ae.Message}
	}
	return err
}
