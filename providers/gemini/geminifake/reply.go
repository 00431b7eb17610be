package geminifake

import "time"

// Reply scripts the fake's answer to one generate request. The zero Reply
// answers "ok" and stops.
type Reply struct {
	// Text is the answer's text, streamed one element per event.
	Text []string
	// Thoughts are thought-summary parts (thought: true) sent before the
	// text, as Gemini does when includeThoughts is set.
	Thoughts []string
	// Calls are function calls, all in one event (Gemini sends calls whole),
	// after the text. More than one is a parallel call.
	Calls []Call
	// SignFirstPartOnly makes the fake sign only the reply's first part
	// (Gemini 2.5's behaviour: "the signature in the first part (regardless
	// of type)"); by default every functionCall part is signed.
	SignFirstPartOnly bool
	// FinishReason ends the answer; "" means STOP.
	FinishReason string
	// FinishMessage accompanies a non-STOP finish reason.
	FinishMessage string
	// BlockReason refuses the prompt: promptFeedback.blockReason and no
	// candidates, status 200.
	BlockReason string
	// ThoughtTokens is reported as usageMetadata.thoughtsTokenCount.
	ThoughtTokens int

	// Status, when non-zero, answers with this HTTP status and Google's
	// error envelope instead (Message and ErrStatus fill it; defaults are
	// the real texts for 429, 500 and 503).
	Status    int
	Message   string
	ErrStatus string
	// RetryAfter sets a Retry-After header on an error reply. Google's
	// generativelanguage API puts the wait in a RetryInfo detail instead
	// (RetryDelay); the header exists to exercise clients that read it.
	RetryAfter string
	// RetryDelay adds a google.rpc.RetryInfo detail ("12s").
	RetryDelay string
	// Times repeats this reply for that many requests (0 means 1).
	Times int

	// Delay waits before answering (before the status line).
	Delay time.Duration
	// EventDelay waits between stream events.
	EventDelay time.Duration
	// CutAfter, if positive, drops the connection after that many events
	// without ending the response: a mid-stream cut.
	CutAfter int
	// NoFinish ends the stream cleanly without a finish reason.
	NoFinish bool
}

// Call is a scripted function call.
type Call struct {
	Name string
	Args map[string]any
}

// TextReply answers with text split into the given chunks.
func TextReply(chunks ...string) Reply { return Reply{Text: chunks} }

// CallsReply answers with function calls (parallel when more than one).
func CallsReply(calls ...Call) Reply { return Reply{Calls: calls} }

// ErrorReply answers with an HTTP error status.
func ErrorReply(status int, message string) Reply { return Reply{Status: status, Message: message} }
