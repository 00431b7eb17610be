// Package ingresstest is what the conformance suites need of a dialect's
// client: a conversation an agent holds with switchyard in that dialect,
// through the vendor's own SDK. Each dialect has a package beside it
// implementing Client (ingress/openaichat/openaichattest,
// ingress/anthropic/anthropictest), and providers/providertest runs every
// provider through every one.
package ingresstest

import (
	"context"
	"net/http"

	"github.com/switchyard/switchyard/ingress"
)

// Client is one dialect's client.
type Client interface {
	// Name is the dialect's name (ingress.Dialect.Name).
	Name() string
	// New begins a conversation with switchyard at base (its root URL,
	// without /v1), asking for model. Every turn offers ReadFile.
	New(base, model string) Conversation
}

// Conversation is the history one agent keeps and resends every turn.
type Conversation interface {
	// User adds a user message.
	User(text string)
	// Results answers the calls of the last answer, in their order.
	Results(contents ...string)
	// Send sends the history and, on success, adds the answer to it as
	// the client received it. A failure is a *Failure when switchyard
	// answered with an error.
	Send(ctx context.Context, stream bool) (*Answer, error)
}

// Answer is one answer as the client read it.
type Answer struct {
	Text  string
	Calls []Call
	// Finish is in switchyard's vocabulary (chat.FinishReason): stop,
	// length, tool_calls.
	Finish string
	// PromptTokens and OutputTokens are the usage the answer reported;
	// 0 when it reported none.
	PromptTokens, OutputTokens int
	// Route is the X-Switchyard-Route header.
	Route string
}

// Call is a tool call.
type Call struct {
	ID   string
	Name string
	Args map[string]any
}

// Failure is an error answer as the client's SDK decoded it.
type Failure struct {
	Status int
	// Type is the error's type or code as the dialect's envelope names it.
	Type    string
	Message string
}

func (f *Failure) Error() string { return f.Type + ": " + f.Message }

// ReadFile is the tool every conversation offers: its name, description
// and JSON Schema.
var ReadFile = struct {
	Name, Description, Schema string
}{"read_file", "Read a file from the repository", `{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`}

// Assembled is what the router's cut-up path makes of body for d: SplitBody,
// DecodeRest over the members, DecodeMessage over each element. It is nil
// where that path declines and leaves the body to Decode; where it accepts,
// a dialect's tests check it equals what Decode returns.
func Assembled(d ingress.MessageDecoder, body []byte, r *http.Request) *ingress.Request {
	s, ok := ingress.SplitBody(body, d.MessagesKey())
	if !ok {
		return nil
	}
	req, ok := d.DecodeRest(r, s.Members)
	if !ok {
		return nil
	}
	for _, raw := range s.Elements {
		msgs, ok := d.DecodeMessage(raw)
		if !ok {
			return nil
		}
		req.Chat.Messages = append(req.Chat.Messages, msgs...)
	}
	return req
}
