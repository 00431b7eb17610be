package gemini

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"sync"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// stream turns the SDK's response iterator into chat.Chunks.
//
// The SDK gives a push iterator; iter.Pull2 lets Next take one event at a
// time. Pull's next and stop must not run concurrently, so both happen under
// mu; Close first cancels the request's context, which makes a blocked read
// return promptly, and only then takes mu to stop the iterator.
type stream struct {
	p      *Provider
	ctx    context.Context
	cancel context.CancelFunc
	meta   *respMeta

	mu      sync.Mutex
	next    func() (*genai.GenerateContentResponse, error, bool)
	stop    func()
	stopped bool
	pending []chat.Chunk
	err     error // sticky: the stream failed
	done    bool  // the final chunk has been queued

	calls   int    // tool calls emitted so far: the next call's Index
	leadSig []byte // a signature seen on a non-call part before any call
	usage   *genai.GenerateContentResponseUsageMetadata
}

func newStream(p *Provider, seq iter.Seq2[*genai.GenerateContentResponse, error], ctx context.Context, cancel context.CancelFunc, meta *respMeta) *stream {
	next, stop := iter.Pull2(seq)
	return &stream{p: p, ctx: ctx, cancel: cancel, meta: meta, next: next, stop: stop}
}

// prime reads the first event so that errors Gemini reports up front (HTTP
// status, an immediately failed answer) come back from Chat, where the
// router may still try another provider.
func (s *stream) prime() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pullOne()
	if s.err != nil && len(s.pending) == 0 {
		return s.err
	}
	return nil
}

// Next returns the next chunk; io.EOF after the one carrying FinishReason.
func (s *stream) Next() (chat.Chunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			return c, nil
		}
		if s.err != nil {
			return chat.Chunk{}, s.err
		}
		if s.done {
			return chat.Chunk{}, io.EOF
		}
		s.pullOne()
	}
}

// Close aborts the request and releases the connection. Safe to call at
// any time, from any goroutine, more than once.
func (s *stream) Close() error {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
	return nil
}

// release stops the iterator (closing the response body). Caller holds mu.
func (s *stream) release() {
	if !s.stopped {
		s.stopped = true
		s.stop()
	}
}

// pullOne reads one event and queues what it yields, or records the
// terminal error. Caller holds mu.
func (s *stream) pullOne() {
	if s.stopped {
		s.fail(&providers.Error{Provider: s.p.name, Kind: providers.KindServer, Message: "gemini stream was closed"})
		return
	}
	resp, err, ok := s.next()
	switch {
	case !ok:
		s.fail(&providers.Error{Provider: s.p.name, Kind: providers.KindServer,
			Message: "gemini stream ended without a finish reason: the answer is incomplete"})
	case err != nil:
		s.fail(s.streamError(err))
	case resp == nil:
		s.fail(&providers.Error{Provider: s.p.name, Kind: providers.KindProtocol, Message: "gemini sent an empty event"})
	default:
		s.consume(resp)
	}
}

// fail records a terminal error and releases the upstream.
func (s *stream) fail(err error) {
	s.err = err
	s.release()
}

// streamError maps an error from the iterator. Before any byte it is the
// ordinary HTTP error path; mid-stream a non-API error means the connection
// broke.
func (s *stream) streamError(err error) error {
	mapped := s.p.mapError(s.ctx, err, s.meta)
	if pe, ok := providers.AsError(mapped); ok && pe.Kind == providers.KindUnavailable && pe.Status == 0 && s.ctx.Err() == nil && s.meta.seen() {
		// The HTTP exchange succeeded and then the body failed: that is a
		// cut stream, the server's trouble, not an unreachable upstream.
		pe.Kind = providers.KindServer
		pe.Message = "gemini stream broke mid-answer"
	}
	return mapped
}

// consume converts one GenerateContentResponse.
func (s *stream) consume(resp *genai.GenerateContentResponse) {
	if resp.UsageMetadata != nil {
		s.usage = resp.UsageMetadata
	}
	var cand *genai.Candidate
	if len(resp.Candidates) > 0 {
		cand = resp.Candidates[0]
	}
	if cand == nil {
		if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
			// The prompt itself was refused: 200, no candidates.
			s.finish(chat.Chunk{}, chat.FinishContentFilter)
		}
		// Otherwise an event with only usage or metadata: nothing to emit.
		return
	}
	var c chat.Chunk
	if cand.Content != nil {
		for _, part := range cand.Content.Parts {
			s.part(&c, part)
		}
	}
	fr := cand.FinishReason
	if fr == "" || fr == genai.FinishReasonUnspecified {
		if !empty(c) {
			s.pending = append(s.pending, c)
		}
		return
	}
	reason, err := s.finishReason(fr, cand.FinishMessage)
	if err != nil {
		if !empty(c) {
			s.pending = append(s.pending, c)
		}
		s.fail(err)
		return
	}
	s.finish(c, reason)
}

// part adds one Gemini part to the chunk being built.
func (s *stream) part(c *chat.Chunk, part *genai.Part) {
	if part == nil {
		return
	}
	switch {
	case part.Thought:
		c.Reasoning += part.Text
	case part.FunctionCall != nil:
		c.ToolCalls = append(c.ToolCalls, s.call(part))
	default:
		c.Content += part.Text
		// Gemini 2.5 signs the first part of a reply whatever its type; if
		// calls follow, the first one carries it back (marked "lead").
		if len(part.ThoughtSignature) > 0 && s.calls == 0 && s.leadSig == nil {
			s.leadSig = part.ThoughtSignature
		}
	}
}

// call converts a functionCall part: a fresh id carrying its signature, the
// next Index, the arguments as JSON text.
func (s *stream) call(part *genai.Part) chat.ToolCallDelta {
	fc := part.FunctionCall
	ref := sigRef{sig: part.ThoughtSignature}
	if len(ref.sig) == 0 && s.calls == 0 && s.leadSig != nil {
		ref = sigRef{sig: s.leadSig, lead: true}
	}
	key := newCallID()
	id, inline := encodeCallID(key, ref, s.p.maxID)
	if !inline && len(ref.sig) > 0 {
		s.p.sigs.put(key, ref)
	}
	args := []byte("{}")
	if len(fc.Args) > 0 {
		if b, err := json.Marshal(fc.Args); err == nil {
			args = b
		}
	}
	d := chat.ToolCallDelta{Index: s.calls, ID: id, Name: fc.Name, Arguments: string(args)}
	if len(part.ThoughtSignature) > 0 {
		// Beside the id too, for a dialect that carries it with the call
		// (the Gemini ingress's thoughtSignature), in the base64 Gemini's
		// wire uses.
		d.Signature = base64.StdEncoding.EncodeToString(part.ThoughtSignature)
	}
	s.calls++
	return d
}

// finish queues the final chunk and releases the upstream: Gemini's last
// event carries the finish reason and the final usage.
func (s *stream) finish(c chat.Chunk, reason chat.FinishReason) {
	c.FinishReason = reason
	c.Usage = convertUsage(s.usage)
	s.pending = append(s.pending, c)
	s.done = true
	s.release()
}

// finishReason maps Gemini's finish reason; see the package doc.
func (s *stream) finishReason(fr genai.FinishReason, msg string) (chat.FinishReason, error) {
	switch fr {
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII, genai.FinishReasonImageSafety,
		genai.FinishReasonImageProhibitedContent, genai.FinishReasonImageRecitation:
		return chat.FinishContentFilter, nil
	case genai.FinishReasonStop, genai.FinishReasonMaxTokens:
		if s.calls > 0 {
			return chat.FinishToolCalls, nil
		}
		if fr == genai.FinishReasonMaxTokens {
			return chat.FinishLength, nil
		}
		return chat.FinishStop, nil
	}
	text := fmt.Sprintf("gemini stopped with finish reason %s", fr)
	if msg != "" {
		text += ": " + scrubString(msg, s.p.key)
	}
	return "", &providers.Error{Provider: s.p.name, Kind: providers.KindServer, Message: text}
}

// convertUsage reports thinking as completion tokens (it is billed as
// output) and as ReasoningTokens.
func convertUsage(u *genai.GenerateContentResponseUsageMetadata) *chat.Usage {
	if u == nil {
		return nil
	}
	return &chat.Usage{
		PromptTokens:     int(u.PromptTokenCount) + int(u.ToolUsePromptTokenCount),
		CompletionTokens: int(u.CandidatesTokenCount) + int(u.ThoughtsTokenCount),
		CachedTokens:     int(u.CachedContentTokenCount),
		ReasoningTokens:  int(u.ThoughtsTokenCount),
	}
}

func empty(c chat.Chunk) bool {
	return c.Content == "" && c.Reasoning == "" && len(c.ToolCalls) == 0
}
