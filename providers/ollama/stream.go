package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/internal/lines"
)

// stream reads one /api/chat answer. It is used by one goroutine at a time
// (providers.Stream); only Close may race with Next, and closing the body
// is what unblocks a Next waiting on it.
type stream struct {
	p      *Provider
	ctx    context.Context
	body   io.ReadCloser
	lines  *lines.Reader
	numCtx int

	calls int   // tool calls emitted so far: the next one's Index
	err   error // sticky: io.EOF after the final chunk, or the failure

	// resp and msg are the line being read, reused from line to line
	// (decodeTokenLine).
	resp chatResponse
	msg  chatMessage

	closeOnce sync.Once
	closed    atomic.Bool // Close was called
}

func newStream(p *Provider, ctx context.Context, body io.ReadCloser, numCtx int) *stream {
	return &stream{p: p, ctx: ctx, body: body, lines: lines.New(body), numCtx: numCtx}
}

// Next returns the next chunk of the answer; io.EOF after the chunk that
// carries FinishReason. A {"error": ...} line, a malformed line, or a body
// that ends before Ollama's done:true line is an error, never io.EOF.
func (s *stream) Next() (chat.Chunk, error) {
	for s.err == nil {
		line, unterminated, err := s.lines.Next()
		if err != nil {
			s.fail(s.readError(err))
			break
		}
		r := &s.resp
		if !decodeTokenLine(line, r, &s.msg) {
			// Not the common shape: with reflection, from a clean slate.
			*r = chatResponse{}
			if err := json.Unmarshal(line, r); err != nil {
				if unterminated {
					s.fail(s.p.streamError(providers.KindServer, "the answer was cut off mid-line", io.ErrUnexpectedEOF))
				} else {
					s.fail(s.p.streamError(providers.KindProtocol, "unreadable line from Ollama", err))
				}
				break
			}
		}
		if len(r.Error) > 0 && string(r.Error) != "null" {
			s.fail(s.p.streamError(providers.KindServer, "Ollama reported an error mid-answer: "+errorMessage(r.Error), nil))
			break
		}
		c, err := s.chunk(r)
		if err != nil {
			s.fail(err)
			break
		}
		if r.Done {
			s.finish(r, &c)
			return c, nil
		}
		if c.Content != "" || c.Reasoning != "" || len(c.ToolCalls) > 0 {
			return c, nil
		}
	}
	return chat.Chunk{}, s.err
}

// chunk translates one line's message.
func (s *stream) chunk(r *chatResponse) (chat.Chunk, error) {
	var c chat.Chunk
	if r.Message == nil {
		return c, nil
	}
	c.Content, c.Reasoning = r.Message.Content, r.Message.Thinking
	for _, tc := range r.Message.ToolCalls {
		args, err := compactArguments(tc.Function.Arguments)
		if err != nil {
			return c, s.p.streamError(providers.KindProtocol, "tool call "+tc.Function.Name+" has arguments that are not a JSON object", err)
		}
		id := tc.ID
		if id == "" {
			// Ollama before v0.12.10 gives no id (PROVIDERS.md §1.1); OpenAI
			// clients need one to answer the call.
			id = syntheticCallID()
		}
		c.ToolCalls = append(c.ToolCalls, chat.ToolCallDelta{Index: s.calls, ID: id, Name: tc.Function.Name, Arguments: args})
		s.calls++
	}
	return c, nil
}

// finish completes the final chunk from the done:true line, reports the
// metrics and releases the connection.
func (s *stream) finish(r *chatResponse, c *chat.Chunk) {
	switch {
	case r.DoneReason == "length":
		c.FinishReason = chat.FinishLength
	case s.calls > 0:
		c.FinishReason = chat.FinishToolCalls
	default:
		c.FinishReason = chat.FinishStop
	}
	c.Usage = &chat.Usage{PromptTokens: r.PromptEvalCount, CompletionTokens: r.EvalCount}
	s.err = io.EOF
	if s.p.opts.Observe != nil {
		s.p.opts.Observe(Metrics{
			Model:              r.Model,
			NumCtx:             s.numCtx,
			PromptEvalCount:    r.PromptEvalCount,
			PromptEvalDuration: time.Duration(r.PromptEvalDuration),
			EvalCount:          r.EvalCount,
			EvalDuration:       time.Duration(r.EvalDuration),
			LoadDuration:       time.Duration(r.LoadDuration),
			TotalDuration:      time.Duration(r.TotalDuration),
			DoneReason:         r.DoneReason,
		})
	}
	s.release()
}

// readError classifies a failure to read the body.
func (s *stream) readError(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return s.p.streamError(providers.KindServer, "the answer ended before Ollama said it was done", io.ErrUnexpectedEOF)
	case s.closed.Load():
		return s.p.streamError(providers.KindRequest, "stream closed", err)
	case errors.Is(err, lines.ErrTooLong):
		return s.p.streamError(providers.KindProtocol, "line too long", err)
	case errors.Is(s.ctx.Err(), context.DeadlineExceeded):
		return s.p.streamError(providers.KindTimeout, "deadline exceeded", err)
	case s.ctx.Err() != nil:
		return s.p.streamError(providers.KindRequest, "request cancelled", err)
	}
	return s.p.streamError(providers.KindServer, "the connection to Ollama broke", err)
}

func (s *stream) fail(err error) {
	s.err = err
	s.release()
}

// release closes the body once. Mid-answer this tears the connection
// down, which is how Ollama learns to stop generating. After the done line
// the body is not drained first: an upstream that kept the connection open
// past it would make the drain hang, and a fresh local connection is cheap.
func (s *stream) release() {
	s.closeOnce.Do(func() { _ = s.body.Close() })
}

// BeforeWait makes Next call f whenever it is about to wait for Ollama
// (providers.Waiter).
func (s *stream) BeforeWait(f func()) { s.lines.BeforeWait = f }

// Close releases the upstream connection. It is idempotent and safe to call
// at any time; a Next after Close returns an error (or io.EOF if the answer
// had completed).
func (s *stream) Close() error {
	s.closed.Store(true)
	s.release()
	return nil
}

// compactArguments re-encodes Ollama's arguments object as compact JSON
// text, OpenAI's form. Absent arguments are a call without parameters.
func compactArguments(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	if raw[0] != '{' {
		return "", errorString("arguments are " + string(raw[:min(len(raw), 40)]))
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// syntheticCallID returns "call_" and 24 random alphanumerics, the shape
// of OpenAI's ids.
func syntheticCallID() string {
	b := make([]byte, 5+24)
	copy(b, "call_")
	for i := 5; i < len(b); i++ {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}
