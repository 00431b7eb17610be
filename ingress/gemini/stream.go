package gemini

import (
	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// A streamed answer is GenerateContentResponse objects: as server-sent
// events ("data: {...}" each) for alt=sse, which Gemini CLI and the SDKs
// always ask for (the capture's path; genai's models.go adds alt=sse to
// every stream), else one JSON array sent as it grows ("[{...}", ",\r\n{...}",
// "]"), Google's form without alt
// (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
// Text and thinking go as they arrive; the calls go once each, whole, in
// the last response, beside finishReason and usageMetadata: Gemini never
// splits a call, its clients read each functionCall part as complete, and
// only the end says that no fragment of a call is still to come (an
// upstream may send one after other content).

var _ ingress.StreamTyper = (*answer)(nil)

// StreamContentType is the stream's Content-Type.
func (a *answer) StreamContentType() string {
	if a.sse {
		return "text/event-stream"
	}
	return "application/json"
}

// frame appends one response, framed for the stream's form.
func (a *answer) frame(out, resp []byte) []byte {
	if a.sse {
		return ingress.AppendEvent(out, "", resp)
	}
	if a.started {
		out = append(out, ",\r\n"...)
	} else {
		a.started = true
		out = append(out, '[')
	}
	return append(out, resp...)
}

// Chunk renders one chunk's thinking and text as one response; its call
// fragments are gathered for the end.
func (a *answer) Chunk(c *chat.Chunk) []byte {
	for _, d := range c.ToolCalls {
		a.addCall(d)
	}
	if c.Reasoning == "" && c.ReasoningSignature == "" && c.Content == "" {
		return nil
	}
	b := openResponse(a.buf[:0])
	var sep partSep
	if c.Reasoning != "" || c.ReasoningSignature != "" {
		b = sep.next(b)
		b = appendTextPart(b, c.Reasoning, true, c.ReasoningSignature)
	}
	if c.Content != "" {
		b = sep.next(b)
		b = appendTextPart(b, c.Content, false, "")
	}
	b = a.closeResponse(b, "", nil, true)
	a.buf = b
	return a.frame(nil, b)
}

// addCall gathers a call's fragment.
func (a *answer) addCall(d chat.ToolCallDelta) {
	if a.byIndex == nil {
		a.byIndex = map[int]int{}
	}
	i, ok := a.byIndex[d.Index]
	if !ok {
		i = len(a.calls)
		a.byIndex[d.Index] = i
		a.calls = append(a.calls, pendingCall{})
	}
	pc := &a.calls[i]
	if d.ID != "" {
		pc.id = d.ID
	}
	if d.Name != "" {
		pc.name = d.Name
	}
	if d.Signature != "" {
		pc.sig = d.Signature
	}
	pc.args = append(pc.args, d.Arguments...)
}

// End renders the last response: the calls still held, the finish reason
// and the usage; for the array form, its closing bracket.
func (a *answer) End(finish chat.FinishReason, u *chat.Usage) []byte {
	if finish == "" {
		finish = chat.FinishStop
	}
	var b []byte
	if len(a.calls) > 0 {
		b = openResponse(a.buf[:0])
		var sep partSep
		for i := range a.calls {
			pc := &a.calls[i]
			b = a.appendCallParts(b, pc.id, pc.name, string(pc.args), pc.sig, &sep)
		}
		b = a.closeResponse(b, finish, u, true)
	} else {
		// No content: Gemini CLI takes a part with empty text for an
		// invalid chunk, so the candidate has none.
		b = append(a.buf[:0], `{"candidates":[{`...)
		b = a.closeResponse(b, finish, u, false)
	}
	a.buf = b
	out := a.frame(nil, b)
	if !a.sse {
		out = append(out, ']')
	}
	return out
}

// Fail ends a stream with Google's error object and no finishReason. For
// alt=sse it is an event genai's reader returns as an APIError
// (api_client.go, iterateResponseStream: a data event with an "error"
// member). For the array form the error is the array's last element, as
// Google's own array-form errors look ([{"error": {...}}], quoted in
// google-gemini/gemini-cli#6678): a reader of the array finds an error and
// no finish, never a complete answer.
func (a *answer) Fail(e *ingress.Error) []byte {
	status, word, msg := errorOf(e)
	env := appendEnvelope(nil, status, word, msg, e)
	out := a.frame(nil, env)
	if !a.sse {
		out = append(out, ']')
	}
	return out
}

// KeepAlive is a blank line for alt=sse, not an SSE comment: genai's Go
// reader turns any line but "data: ..." into an error ("invalid stream
// chunk", api_client.go, iterateResponseStream), and skips an empty event;
// the JS SDK's reader skips what is not a data event. For the array form it
// is a newline: whitespace before or between elements keeps the JSON valid.
func (a *answer) KeepAlive() []byte {
	if a.sse {
		return []byte("\n\n")
	}
	return []byte("\n")
}
