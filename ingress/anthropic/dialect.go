// Package anthropic is the Anthropic Messages dialect (POST /v1/messages,
// POST /v1/messages/count_tokens and Anthropic's shape of GET /v1/models),
// as Anthropic's API reference and the clients that speak it (Claude Code,
// the official SDKs) use it: a system prompt beside the messages, content
// as blocks (text, image, document, tool_use, tool_result, thinking),
// answers as a Message or as its named stream events (message_start ...
// message_stop), and Anthropic's error envelope and types.
//
// What Claude Code sends and how it reacts to each answer and error was
// recorded against a fake upstream (research/claude-code/NOTES.md); the
// comments cite its sections.
package anthropic

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// Name is the dialect's name.
const Name = "anthropic"

// Dialect is the Anthropic Messages API. The zero value is ready to use.
type Dialect struct{}

var (
	_ ingress.MessageDecoder = Dialect{}
	_ ingress.Counter        = Dialect{}
	_ ingress.ModelLister    = Dialect{}
)

// Name is "anthropic".
func (Dialect) Name() string { return Name }

// Title is the dialect's name for people.
func (Dialect) Title() string { return "Anthropic Messages" }

// Routes is the messages endpoint. Claude Code adds ?beta=true (NOTES.md
// §2); patterns match the path alone, so the query does not matter.
func (Dialect) Routes() []string { return []string{"POST /v1/messages"} }

// CountRoutes is the token-count endpoint.
func (Dialect) CountRoutes() []string { return []string{"POST /v1/messages/count_tokens"} }

// Decode reads a Messages create body; max_tokens is required, as
// Anthropic requires it.
func (Dialect) Decode(_ *http.Request, body []byte) (*ingress.Request, error) {
	req, e := decodeRequest(body, false)
	if e != nil {
		return nil, e
	}
	return req, nil
}

// DecodeCount reads a count_tokens body: a Messages body without
// max_tokens.
func (Dialect) DecodeCount(_ *http.Request, body []byte) (*ingress.Request, error) {
	req, e := decodeRequest(body, true)
	if e != nil {
		return nil, e
	}
	return req, nil
}

// EncodeCount renders count_tokens' answer.
func (Dialect) EncodeCount(promptTokens int) []byte {
	b := strconv.AppendInt(append(make([]byte, 0, 32), `{"input_tokens":`...), int64(promptTokens), 10)
	return append(b, '}')
}

// MessagesKey is "messages".
func (Dialect) MessagesKey() string { return "messages" }

// DecodeMessage decodes one element of messages into the messages it
// stands for: a user message holding tool results is one tool message per
// result, then a user message with what else it holds.
func (Dialect) DecodeMessage(raw []byte) ([]chat.Message, bool) {
	msgs, e := decodeMessage(raw, "messages[]")
	return msgs, e == nil
}

// DecodeRest decodes the members around messages; the system prompt's
// message comes back in Chat.Messages. A path ending in /count_tokens is
// decoded as a count request (no max_tokens needed).
func (Dialect) DecodeRest(r *http.Request, members [][]byte) (*ingress.Request, bool) {
	obj := ingress.JoinMembers(members)
	var w wireRequest
	if err := json.Unmarshal(obj, &w); err != nil || w.Messages != nil {
		return nil, false
	}
	count := r != nil && r.URL != nil && strings.HasSuffix(r.URL.Path, "/count_tokens")
	req, e := decodeFields(&w, count)
	if e != nil {
		return nil, false
	}
	return req, true
}

// NewAnswer begins a Message (or its stream events) from model.
func (Dialect) NewAnswer(_ *ingress.Request, a ingress.AnswerInfo) ingress.Answer {
	return &answer{id: ingress.NewID("msg_"), model: a.Model, promptTokens: a.PromptTokens}
}

// ListsModels claims a model list asked for with anthropic-version, which
// every Anthropic SDK and Claude Code send (NOTES.md §5).
func (Dialect) ListsModels(r *http.Request) bool { return r.Header.Get("anthropic-version") != "" }

// EncodeModels renders GET /v1/models in Anthropic's list shape: one page
// holding every model.
func (Dialect) EncodeModels(models []ingress.Model) []byte {
	b := append(make([]byte, 0, 128*len(models)+64), `{"data":[`...)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		name := m.DisplayName
		if name == "" {
			name = m.ID
		}
		b = append(b, `{"type":"model","id":`...)
		b = appendString(b, m.ID)
		b = append(b, `,"display_name":`...)
		b = appendString(b, name)
		b = append(b, `,"created_at":"`...)
		b = m.Created.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
		if m.ContextWindow > 0 {
			b = append(b, `,"max_input_tokens":`...)
			b = strconv.AppendInt(b, int64(m.ContextWindow), 10)
		}
		b = append(b, '}')
	}
	b = append(b, `],"has_more":false,"first_id":`...)
	if len(models) == 0 {
		b = append(b, `null,"last_id":null}`...)
		return b
	}
	b = appendString(b, models[0].ID)
	b = append(b, `,"last_id":`...)
	b = appendString(b, models[len(models)-1].ID)
	return append(b, '}')
}
