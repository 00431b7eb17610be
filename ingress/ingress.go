// Package ingress is the seam between the wire forms coding agents speak
// and switchyard's own form of a job (package chat). Each dialect is a
// package of its own (ingress/openaichat, ingress/anthropic, ...) holding
// its wire types: it decodes a request into a chat.Request, encodes the
// answer back, whole and streamed, and writes errors in its envelope. The
// router knows only this package's interfaces: it decides, executes the
// plan, falls back, audits and sets the decision headers the same way for
// every dialect.
//
// A dialect stays pure: no routing, no logging, no I/O but writing the
// response it is handed.
package ingress

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/chat"
)

// Dialect is one wire form clients speak.
type Dialect interface {
	// Name is short and stable ("openai-chat", "anthropic"): it keys
	// caches and names the dialect in logs and metrics.
	Name() string
	// Title names the dialect for people ("OpenAI chat completions").
	Title() string
	// Routes are the patterns (http.ServeMux syntax, with the method) of
	// its chat endpoint: "POST /v1/chat/completions".
	Routes() []string
	// Decode reads one request: the HTTP request for what its path and
	// headers carry, and its body, already read whole. Every problem is an
	// *Error, a 400 invalid_request naming the field and what to send.
	Decode(r *http.Request, body []byte) (*Request, error)
	// NewAnswer begins the answer to req, from model.
	NewAnswer(req *Request, a AnswerInfo) Answer
	// WriteError writes e in the dialect's envelope, with the status the
	// dialect gives e (its own, or e.Status).
	WriteError(w http.ResponseWriter, e *Error)
}

// Request is a decoded request: the job, and what the dialect's answer
// needs of it that is not the job's business (opaque to everyone else).
type Request struct {
	Chat *chat.Request
	// Options is for the dialect's NewAnswer (for example OpenAI's
	// stream_options.include_usage); nil when it needs none. The router
	// never looks inside.
	Options any
}

// AnswerInfo is what an answer says about itself.
type AnswerInfo struct {
	// Model is the model that answers, as the answer reports it.
	Model string
	// Created is when the answer began.
	Created time.Time
	// PromptTokens is switchyard's count of the prompt, for dialects that
	// report it before the model does (Anthropic's message_start).
	PromptTokens int
}

// Answer encodes one answer. A client that did not ask to stream gets
// Whole; one that did gets what Chunk, End, Fail and KeepAlive return,
// written and flushed in order: bytes already framed as server-sent
// events. An Answer is used by one goroutine at a time.
type Answer interface {
	// Whole renders a complete answer as its JSON body.
	Whole(a *Assembled) []byte
	// Chunk renders one chunk of a streamed answer; nil when there is
	// nothing to send yet. The first call opens the stream where the
	// dialect has an opening (Anthropic's message_start).
	Chunk(c *chat.Chunk) []byte
	// End renders a stream's successful end: the finish reason, the usage
	// (nil when the upstream reported none), and the dialect's closing
	// marker ([DONE], message_stop).
	End(finish chat.FinishReason, u *chat.Usage) []byte
	// Fail renders the event that ends a stream cut short or failed after
	// it began: never anything a client could take for a complete answer.
	Fail(e *Error) []byte
	// KeepAlive renders a keep-alive the client ignores while the model
	// prefills (an SSE comment, Anthropic's ping), opening the stream first
	// if the dialect's keep-alive may not come before its opening.
	KeepAlive() []byte
}

// MessageDecoder is a Dialect whose requests may be decoded a message at
// a time. Coding agents resend the whole conversation every turn, so the
// router cuts the body at its structure (Split), keeps each element of the
// message array decoded by the hash of its bytes, and decodes only what
// is new. What it assembles must equal what Decode returns for the same
// body, byte for byte; anything the cut-up path does not handle goes to
// Decode, which also gives every error its message.
type MessageDecoder interface {
	Dialect
	// MessagesKey is the top-level member whose array DecodeMessage reads
	// an element of ("messages").
	MessagesKey() string
	// DecodeMessage decodes one element of the array into the messages it
	// stands for, in order (one Anthropic message with tool results is
	// several); ok is false when it does not decode. It must not depend on
	// the other elements.
	DecodeMessage(raw []byte) (msgs []chat.Message, ok bool)
	// DecodeRest decodes the other members of the top-level object (each
	// from its key's quote to the end of its value, in order) and the HTTP
	// request into a Request whose Chat.Messages holds only the messages
	// that come before the array's (a system prompt member); ok is false
	// when they do not decode. The router keeps the answer by the
	// request's path and the members' bytes: it must depend on nothing
	// else of r.
	DecodeRest(r *http.Request, members [][]byte) (req *Request, ok bool)
}

// Counter is a Dialect with an endpoint that counts a request's prompt
// tokens without running it (Anthropic's POST /v1/messages/count_tokens).
// The router decodes the body with DecodeCount, counts the job as the
// decision would (the local model's exact tokenizer when it has one) and
// writes EncodeCount's body; errors go through the dialect's WriteError.
type Counter interface {
	// CountRoutes are the count endpoint's patterns, as Routes.
	CountRoutes() []string
	// DecodeCount reads a count request: a chat request without the
	// fields only generation needs (max_tokens).
	DecodeCount(r *http.Request, body []byte) (*Request, error)
	// EncodeCount renders the count.
	EncodeCount(promptTokens int) []byte
}

// ModelLister is a Dialect with its own shape of GET /v1/models. A
// request to an endpoint that is no dialect's (the model list, a 404) is
// answered in the first dialect whose clients' mark it carries, and in the
// first dialect when it carries none.
type ModelLister interface {
	// ListsModels reports whether r carries the mark of this dialect's
	// clients (Anthropic's anthropic-version header).
	ListsModels(r *http.Request) bool
	// EncodeModels renders the list, in order.
	EncodeModels(models []Model) []byte
}

// CountSharer is a Dialect whose chat and count endpoints share their
// route patterns (Gemini's POST /v1beta/models/{call}, where the call is
// MODEL:generateContent or MODEL:countTokens): a pattern in both Routes
// and CountRoutes is mounted once, and the router asks which a request is.
type CountSharer interface {
	// IsCount reports whether r is for the count endpoint.
	IsCount(r *http.Request) bool
}

// DirStater is a Dialect whose clients state their working directories
// outside the body too (Codex's x-codex-turn-metadata header). Those
// directories count as the ones stated in the conversation do: each may
// loosen, and with several the strictest wins.
type DirStater interface {
	// StatedDirs returns the absolute directories r's headers state.
	StatedDirs(r *http.Request) []string
}

// ModelRouter is a Dialect with model-list endpoints of its own (Gemini's
// GET /v1beta/models and /v1beta/models/{model}), beside or instead of
// GET /v1/models.
type ModelRouter interface {
	// ModelRoutes are the patterns, as Routes.
	ModelRoutes() []string
	// EncodeModelsFor renders the answer to r: the list, or the one model
	// its path names (an *Error, a 404, for a model not in it).
	EncodeModelsFor(r *http.Request, models []Model) ([]byte, *Error)
}

// ChatPather is a Dialect whose chat route has wildcards (Gemini's model
// in the path): ChatPath is the path of a streaming or whole chat request
// for model, for those who make one (explain, the bench). A dialect
// without it is asked at the path of its first route.
type ChatPather interface {
	ChatPath(model string, stream bool) string
}

// ChatPath is the path of a chat request of d for model.
func ChatPath(d Dialect, model string, stream bool) string {
	if p, ok := d.(ChatPather); ok {
		return p.ChatPath(model, stream)
	}
	_, path, _ := strings.Cut(d.Routes()[0], " ")
	return path
}

// StreamTyper is an Answer whose stream is not server-sent events
// (Gemini's streamGenerateContent without alt=sse is one JSON array, sent
// as it grows).
type StreamTyper interface {
	// StreamContentType is the stream's Content-Type.
	StreamContentType() string
}

// Model is one entry of the model list: a routing name (auto, local,
// cloud) or a provider.
type Model struct {
	ID          string
	DisplayName string
	// OwnedBy is "switchyard" for routing names, else the provider's kind.
	OwnedBy string
	Created time.Time
	// ContextWindow is the window a job sent to this name can use, 0 when
	// not known yet.
	ContextWindow int
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix and 20 random characters, for the ids answers carry.
func NewID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + idEncoding.EncodeToString(b[:])
}
