// Package responsestest is the OpenAI Responses client of the conformance
// suites (ingresstest.Client), driving switchyard through OpenAI's own Go
// SDK (openai-go/v3) as Codex does: store false, the whole input resent
// every turn with the answer's output items as they came (the SDK's raw
// items turned back into input parameters), streams read event by event.
package responsestest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

// Client is the OpenAI SDK's Responses API.
type Client struct{}

var _ ingresstest.Client = Client{}

// Name is the dialect's.
func (Client) Name() string { return "openai-responses" }

// New begins a conversation.
func (Client) New(base, model string) ingresstest.Conversation {
	c := openai.NewClient(option.WithBaseURL(base+"/v1"), option.WithAPIKey("unused-by-switchyard"), option.WithMaxRetries(0))
	var schema map[string]any
	json.Unmarshal([]byte(ingresstest.ReadFile.Schema), &schema)
	tool := responses.ToolParamOfFunction(ingresstest.ReadFile.Name, schema, false)
	tool.OfFunction.Description = openai.String(ingresstest.ReadFile.Description)
	return &conversation{client: c, model: model, tools: []responses.ToolUnionParam{tool}}
}

type conversation struct {
	client openai.Client
	model  string
	tools  []responses.ToolUnionParam
	input  responses.ResponseInputParam
	calls  []string // the call_ids of the last answer
}

func (c *conversation) User(text string) {
	c.input = append(c.input, responses.ResponseInputItemParamOfMessage(text, responses.EasyInputMessageRoleUser))
}

func (c *conversation) Results(contents ...string) {
	for i, s := range contents {
		out := responses.ResponseInputItemParamOfFunctionCallOutput(s)
		out.OfFunctionCallOutput.CallID = openai.String(c.calls[i])
		c.input = append(c.input, out)
	}
}

func (c *conversation) Send(ctx context.Context, stream bool) (*ingresstest.Answer, error) {
	params := responses.ResponseNewParams{Model: c.model, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: c.input},
		Tools: c.tools, Store: openai.Bool(false), MaxOutputTokens: openai.Int(1024)}
	var resp *http.Response
	var r *responses.Response
	if stream {
		st := c.client.Responses.NewStreaming(ctx, params, option.WithResponseInto(&resp))
		for st.Next() {
			ev := st.Current()
			switch ev.Type {
			case "response.completed", "response.incomplete":
				done := ev.Response
				r = &done
			case "response.failed":
				st.Close()
				return nil, &ingresstest.Failure{Status: http.StatusOK, Type: string(ev.Response.Error.Code), Message: ev.Response.Error.Message}
			}
		}
		err := st.Err()
		st.Close()
		if err != nil {
			return nil, failure(err)
		}
		if r == nil {
			return nil, errors.New("the stream ended without response.completed")
		}
	} else {
		var err error
		if r, err = c.client.Responses.New(ctx, params, option.WithResponseInto(&resp)); err != nil {
			return nil, failure(err)
		}
	}
	a := &ingresstest.Answer{PromptTokens: int(r.Usage.InputTokens), OutputTokens: int(r.Usage.OutputTokens)}
	if resp != nil {
		a.Route = resp.Header.Get("X-Switchyard-Route")
	}
	var text strings.Builder
	c.calls = nil
	for _, it := range r.Output {
		switch it.Type {
		case "message":
			for _, p := range it.Content {
				text.WriteString(p.Text)
			}
		case "function_call":
			var args map[string]any
			if err := json.Unmarshal([]byte(it.Arguments.OfString), &args); err != nil {
				return nil, errors.New("function_call arguments are not a JSON object: " + it.Arguments.OfString)
			}
			a.Calls = append(a.Calls, ingresstest.Call{ID: it.CallID, Name: it.Name, Args: args})
			c.calls = append(c.calls, it.CallID)
		}
		// The item goes back as it came, as Codex resends its history.
		c.input = append(c.input, param.Override[responses.ResponseInputItemUnionParam](json.RawMessage(it.RawJSON())))
	}
	a.Text = text.String()
	switch {
	case r.Status == "incomplete":
		a.Finish = string(chat.FinishLength)
	case len(a.Calls) > 0:
		a.Finish = string(chat.FinishToolCalls)
	case r.Status == "completed":
		a.Finish = string(chat.FinishStop)
	default:
		return nil, errors.New("status " + string(r.Status))
	}
	return a, nil
}

// failure is the SDK's error as an ingresstest.Failure when switchyard
// answered with one.
func failure(err error) error {
	var ae *openai.Error
	if errors.As(err, &ae) {
		return &ingresstest.Failure{Status: ae.StatusCode, Type: ae.Code, Message: ae.Message}
	}
	return err
}
