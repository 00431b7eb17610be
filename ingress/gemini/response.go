package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// answer is a GenerateContentResponse, whole or streamed.
type answer struct {
	id, model    string
	promptTokens int
	// sse is the stream's form: server-sent events (alt=sse), else one
	// JSON array.
	sse bool

	buf     []byte
	started bool // the array's "[" was sent
	calls   []pendingCall
	byIndex map[int]int
	args    bytes.Buffer
}

// pendingCall is a streamed call gathered until the end: Gemini sends
// each functionCall once, complete.
type pendingCall struct {
	id, name, sig string
	args          []byte
}

// finishReason is Gemini's for a finish reason
// (https://ai.google.dev/api/generate-content#FinishReason). Gemini has no
// reason for calling tools: a turn that calls one stops with STOP.
func finishReason(f chat.FinishReason) string {
	switch f {
	case chat.FinishLength:
		return "MAX_TOKENS"
	case chat.FinishContentFilter:
		return "SAFETY"
	}
	return "STOP"
}

// appendUsage appends usageMetadata
// (https://ai.google.dev/api/generate-content#UsageMetadata). Gemini's
// promptTokenCount includes the cached part, as chat.Usage's does;
// candidatesTokenCount leaves out the thinking, which thoughtsTokenCount
// holds. With no usage from the upstream, the prompt is switchyard's own
// count (AnswerInfo.PromptTokens).
func (a *answer) appendUsage(b []byte, u *chat.Usage) []byte {
	var in, out, thoughts, cached int
	if u != nil {
		in, out, thoughts, cached = u.PromptTokens, u.CompletionTokens-u.ReasoningTokens, u.ReasoningTokens, u.CachedTokens
	}
	if in == 0 {
		in = a.promptTokens
	}
	if out < 0 {
		out = 0
	}
	b = append(b, `"usageMetadata":{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(in), 10)
	b = append(b, `,"candidatesTokenCount":`...)
	b = strconv.AppendInt(b, int64(out), 10)
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, int64(in+out+thoughts), 10)
	if thoughts > 0 {
		b = append(b, `,"thoughtsTokenCount":`...)
		b = strconv.AppendInt(b, int64(thoughts), 10)
	}
	if cached > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = strconv.AppendInt(b, int64(cached), 10)
	}
	return append(b, '}')
}

func appendTextPart(b []byte, text string, thought bool, sig string) []byte {
	b = append(b, `{"text":`...)
	b = appendString(b, text)
	if thought {
		b = append(b, `,"thought":true`...)
	}
	if sig != "" {
		b = append(b, `,"thoughtSignature":`...)
		b = appendString(b, sig)
	}
	return append(b, '}')
}

// appendCallParts appends a functionCall part, with its thought signature
// when the call has one. Arguments that are not a JSON object cannot be
// args: the call goes with {} (the client's tool then reports the missing
// arguments to the model) after a text part holding them, so nothing the
// model wrote is silently lost.
func (a *answer) appendCallParts(b []byte, id, name, args, sig string, sep *partSep) []byte {
	a.args.Reset()
	ok := args == "" || json.Compact(&a.args, []byte(args)) == nil && a.args.Len() > 0 && a.args.Bytes()[0] == '{'
	if id == "" {
		id = ingress.NewID("call_")
	}
	if !ok {
		b = sep.next(b)
		b = appendTextPart(b, "switchyard: the model's arguments for "+name+" ("+id+") are not a JSON object, so the call goes with {}; they were: "+args, false, "")
	}
	b = sep.next(b)
	b = append(b, `{"functionCall":{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"name":`...)
	b = appendString(b, name)
	b = append(b, `,"args":`...)
	if ok && a.args.Len() > 0 {
		b = append(b, a.args.Bytes()...)
	} else {
		b = append(b, `{}`...)
	}
	b = append(b, '}')
	if sig != "" {
		b = append(b, `,"thoughtSignature":`...)
		b = appendString(b, sig)
	}
	return append(b, '}')
}

// partSep separates the parts of one response's list: each part is
// preceded by next.
type partSep int

func (n *partSep) next(b []byte) []byte {
	if *n > 0 {
		b = append(b, ',')
	}
	*n++
	return b
}

// openResponse appends the start of a response up to its parts.
func openResponse(b []byte) []byte {
	return append(b, `{"candidates":[{"content":{"role":"model","parts":[`...)
}

// closeResponse appends what follows the parts: the finish reason and
// usage when finish is set, the model and the response id.
func (a *answer) closeResponse(b []byte, finish chat.FinishReason, u *chat.Usage, withParts bool) []byte {
	if withParts {
		b = append(b, `]}`...)
	}
	if finish != "" {
		if withParts {
			b = append(b, ',')
		}
		b = append(b, `"finishReason":"`...)
		b = append(b, finishReason(finish)...)
		b = append(b, `",`...)
	} else if withParts {
		b = append(b, ',')
	}
	b = append(b, `"index":0}],`...)
	if finish != "" {
		b = a.appendUsage(b, u)
		b = append(b, ',')
	}
	b = append(b, `"modelVersion":`...)
	b = appendString(b, a.model)
	b = append(b, `,"responseId":`...)
	b = appendString(b, a.id)
	return append(b, '}')
}

// Whole renders a complete answer: its thinking, its text, then its calls,
// in the order Gemini sends them. The thinking's signature rides on the
// thought part, where decoding the next turn finds it.
func (a *answer) Whole(as *ingress.Assembled) []byte {
	b := openResponse(make([]byte, 0, 256+len(as.Content)+len(as.Reasoning)))
	var sep partSep
	if as.Reasoning != "" || as.ReasoningSignature != "" {
		b = sep.next(b)
		b = appendTextPart(b, as.Reasoning, true, as.ReasoningSignature)
	}
	if as.Content != "" || len(as.ToolCalls) == 0 && sep == 0 {
		b = sep.next(b)
		b = appendTextPart(b, as.Content, false, "")
	}
	for _, c := range as.ToolCalls {
		b = a.appendCallParts(b, c.ID, c.Name, c.Arguments, c.Signature, &sep)
	}
	return a.closeResponse(b, as.Finish, as.Usage, true)
}

var appendString = ingress.AppendString
