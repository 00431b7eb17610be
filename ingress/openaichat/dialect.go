// Package openaichat is the OpenAI Chat Completions dialect
// (POST /v1/chat/completions), as OpenAI's API reference and the clients
// that speak it (the OpenAI SDKs, go-openai, opencode, Qwen Code, Cline,
// Continue, Crush) use it: content as a string or parts, tool calls with
// JSON-text arguments, stream_options.include_usage, [DONE] at the end of a
// stream, and OpenAI's error envelope carrying the contract's codes.
package openaichat

import (
	"encoding/json"
	"net/http"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// Name is the dialect's name.
const Name = "openai-chat"

// Dialect is OpenAI chat completions. The zero value is ready to use.
type Dialect struct{}

var _ ingress.MessageDecoder = Dialect{}

// Name is "openai-chat".
func (Dialect) Name() string { return Name }

// Routes is the chat completions endpoint.
func (Dialect) Routes() []string { return []string{"POST /v1/chat/completions"} }

// Decode reads a chat completions body.
func (Dialect) Decode(_ *http.Request, body []byte) (*ingress.Request, error) {
	req, e := decodeChatRequest(body)
	if e != nil {
		return nil, e
	}
	return req, nil
}

// Title is the dialect's name for people.
func (Dialect) Title() string { return "OpenAI chat completions" }

// MessagesKey is "messages".
func (Dialect) MessagesKey() string { return "messages" }

// DecodeMessage decodes one element of messages.
func (Dialect) DecodeMessage(raw []byte) ([]chat.Message, bool) {
	var w oaMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, false
	}
	m := make([]chat.Message, 1)
	if decodeMessage(&w, &m[0], "") != nil {
		return nil, false
	}
	return m, true
}

// DecodeRest decodes the members around messages.
func (Dialect) DecodeRest(_ *http.Request, members [][]byte) (*ingress.Request, bool) {
	obj := ingress.JoinMembers(members)
	var w oaRequest
	if err := json.Unmarshal(obj, &w); err != nil || w.Messages != nil {
		return nil, false
	}
	r, e := decodeRequestFields(&w)
	if e != nil {
		return nil, false
	}
	return r, true
}

// NewAnswer begins a chat.completion (or its chunks) from model.
func (Dialect) NewAnswer(req *ingress.Request, a ingress.AnswerInfo) ingress.Answer {
	opts, _ := req.Options.(Options)
	return &answer{id: ingress.NewID("chatcmpl-"), model: a.Model, created: a.Created.Unix(), includeUsage: opts.IncludeUsage}
}
