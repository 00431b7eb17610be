package mistral

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// stream reads Mistral's answer and hands it out as chat.Chunks.
// It is not safe for concurrent use, as providers.Stream need not be.
type stream struct {
	p     *Provider
	ctx   context.Context
	raw   *openai.ChatCompletionStream
	close sync.Once

	respID string
	calls  []callState
	usage  *chat.Usage
	prefix prefixStripper

	done bool  // the chunk with the finish reason went out
	err  error // sticky: once failed, always failed
}

// callState is one tool call of the answer.
type callState struct {
	upstreamIndex int // the index Mistral gave it, -1 if none
	id            string
	named         bool // the client has been told the name
}

var _ providers.Stream = (*stream)(nil)

// Next implements providers.Stream.
func (s *stream) Next() (chat.Chunk, error) {
	for {
		if s.err != nil {
			return chat.Chunk{}, s.err
		}
		if s.done {
			return chat.Chunk{}, io.EOF
		}
		raw, err := s.raw.RecvRaw()
		if err != nil {
			s.err = s.readError(err)
			continue
		}
		c, err := s.decode(raw)
		if err != nil {
			s.err = err
			continue
		}
		if c.FinishReason != "" {
			if s.usage == nil {
				s.readTrailer()
			}
			c.Content += s.prefix.flush()
			c.Usage = s.usage
			s.done = true
			return c, nil
		}
		if c.Content == "" && c.Reasoning == "" && len(c.ToolCalls) == 0 {
			continue // the opening role chunk, a usage-only event
		}
		return c, nil
	}
}

// Close implements providers.Stream.
func (s *stream) Close() error {
	var err error
	s.close.Do(func() { err = s.raw.Close() })
	return err
}

// decode turns one event into a chunk. A chunk with a finish reason of
// "error" is an error (Mistral's FinishReason enum has it; it means the
// generation failed part way).
func (s *stream) decode(raw []byte) (chat.Chunk, error) {
	var ev streamEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return chat.Chunk{}, &providers.Error{Provider: s.p.name, Kind: providers.KindProtocol,
			Message: "mistral sent a stream event switchyard cannot read", Err: err}
	}
	if ev.isError() {
		ue := parseErrorBody(raw)
		return chat.Chunk{}, &providers.Error{Provider: s.p.name, Kind: providers.KindServer,
			Message: "mistral said: " + s.p.scrub(ue.Message)}
	}
	if s.respID == "" {
		s.respID = ev.ID
	}
	if ev.Usage != nil {
		// Mistral sends usage on the final chunk; if it ever sends it
		// earlier too, the last one counts.
		s.usage = ev.Usage.toUsage()
	}
	var c chat.Chunk
	for _, ch := range ev.Choices {
		if ch.Index != 0 {
			continue // switchyard never asks for n > 1
		}
		c.Content += s.prefix.feed(ch.Delta.Content.Text)
		c.Reasoning += ch.Delta.Content.Thinking
		for i := range ch.Delta.ToolCalls {
			c.ToolCalls = append(c.ToolCalls, s.toolCall(&ch.Delta.ToolCalls[i]))
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			fr, err := s.finishReason(*ch.FinishReason)
			if err != nil {
				return chat.Chunk{}, err
			}
			c.FinishReason = fr
		}
	}
	return c, nil
}

// toolCall gives each call of the answer its own client index, whatever
// Mistral sent: a new id, or a fragment without an index, opens a new call
// unless it continues the one before; a fragment with an index continues the
// call that had it unless it brings a different id. So two calls that both
// arrive as index 0 (or with no index) stay two calls.
//
// Ids Mistral generated go to the client unchanged (it will send them back,
// and they are already valid for Mistral). A call without an id gets one
// derived from the answer's id and the call's position, valid for Mistral
// and the same however often the answer is replayed.
func (s *stream) toolCall(d *toolCallDelta) chat.ToolCallDelta {
	at := -1
	switch {
	case d.Index != nil:
		for i := range s.calls {
			if s.calls[i].upstreamIndex == *d.Index {
				at = i
			}
		}
		if at >= 0 && d.ID != "" && d.ID != s.calls[at].id {
			at = -1
		}
	case d.ID != "":
		for i := range s.calls {
			if s.calls[i].id == d.ID {
				at = i
			}
		}
	case len(s.calls) > 0:
		at = len(s.calls) - 1
	}
	out := chat.ToolCallDelta{Arguments: string(d.Function.Arguments)}
	if at < 0 {
		at = len(s.calls)
		cs := callState{upstreamIndex: -1, id: d.ID}
		if d.Index != nil {
			cs.upstreamIndex = *d.Index
		}
		if cs.id == "" {
			cs.id = hashID(s.respID+"#"+strconv.Itoa(at), 0)
		}
		s.calls = append(s.calls, cs)
		out.ID = cs.id
	}
	out.Index = at
	if !s.calls[at].named && d.Function.Name != "" {
		out.Name = d.Function.Name
		s.calls[at].named = true
	}
	return out
}

// finishReason maps Mistral's finish reasons onto OpenAI's
// (FinishReason enum in openapi.yaml: stop, length, model_length, error,
// tool_calls). model_length means the model's window ran out, which OpenAI
// calls length. A stop after tool calls is reported as tool_calls, which is
// what clients wait for.
func (s *stream) finishReason(r string) (chat.FinishReason, error) {
	switch r {
	case "length", "model_length":
		return chat.FinishLength, nil
	case "tool_calls":
		return chat.FinishToolCalls, nil
	case "content_filter":
		return chat.FinishContentFilter, nil
	case "error":
		return "", &providers.Error{Provider: s.p.name, Kind: providers.KindServer,
			Message: "mistral stopped the answer with finish_reason error"}
	}
	if len(s.calls) > 0 {
		return chat.FinishToolCalls, nil
	}
	return chat.FinishStop, nil
}

// readTrailer reads what follows a finish reason that came without usage,
// up to [DONE], in case usage follows in an event of its own (as OpenAI
// sends it). The answer is complete either way, so read errors are ignored.
func (s *stream) readTrailer() {
	for {
		raw, err := s.raw.RecvRaw()
		if err != nil {
			return
		}
		var ev streamEvent
		if json.Unmarshal(raw, &ev) == nil && ev.Usage != nil {
			s.usage = ev.Usage.toUsage()
		}
	}
}

// readError classifies a failure to read the next event. io.EOF before a
// finish reason is a cut answer, never a complete one.
func (s *stream) readError(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return s.p.contextError(ctxErr)
	}
	var apiErr *openai.APIError
	switch {
	case errors.Is(err, io.EOF):
		return &providers.Error{Provider: s.p.name, Kind: providers.KindServer,
			Message: "mistral's answer ended before it was complete (no finish_reason)"}
	case errors.As(err, &apiErr):
		return &providers.Error{Provider: s.p.name, Kind: providers.KindServer,
			Message: "mistral said: " + s.p.scrub(apiErr.Message)}
	case errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		return &providers.Error{Provider: s.p.name, Kind: providers.KindProtocol,
			Message: "mistral sent a stream switchyard cannot read", Err: err}
	}
	return &providers.Error{Provider: s.p.name, Kind: providers.KindUnavailable,
		Message: "the connection to mistral broke during the answer", Err: s.p.scrubErr(err)}
}

// prefixStripper removes the text of a prefix message from the start of the
// answer. Mistral's prefix guide cuts len(prefix) off the answer it prints,
// so the answer repeats the prefix; an OpenAI client that sent a trailing
// assistant message wants only the continuation. The text is held back only
// while it still matches the prefix, and released untouched as soon as it
// differs, so an answer that does not repeat the prefix loses nothing.
type prefixStripper struct {
	want string // the prefix still to be matched
	held string // answer text that matched so far
}

func (p *prefixStripper) feed(text string) string {
	if p.want == "" {
		return text
	}
	p.held += text
	switch {
	case strings.HasPrefix(p.held, p.want):
		out := p.held[len(p.want):]
		p.want, p.held = "", ""
		return out
	case strings.HasPrefix(p.want, p.held):
		return "" // matches so far; wait for more
	}
	out := p.held
	p.want, p.held = "", ""
	return out
}

// flush releases held text when the answer ends inside the prefix.
func (p *prefixStripper) flush() string {
	out := p.held
	p.want, p.held = "", ""
	return out
}
