package anthropic

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// stopReason is Anthropic's stop_reason for a finish reason. chat.FinishStop
// cannot say whether a stop sequence matched (OpenAI-shaped upstreams strip
// it and report "stop" either way), so it is end_turn with stop_sequence
// null: "stop_sequence" would need the sequence, which switchyard does not
// know.
func stopReason(f chat.FinishReason) string {
	switch f {
	case chat.FinishLength:
		return "max_tokens"
	case chat.FinishToolCalls:
		return "tool_use"
	case chat.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}

// appendUsage appends a usage object. Anthropic's input_tokens leaves out
// cache reads, which OpenAI's prompt_tokens include, and clients such as
// Claude Code add the two back (NOTES.md §5), so the cached part moves to
// cache_read_input_tokens. When the upstream reported no prompt count,
// input is switchyard's own count of the prompt (AnswerInfo.PromptTokens):
// Claude Code compacts by it, and 0 would hide a growing conversation.
func appendUsage(b []byte, input int, u *chat.Usage, output int) []byte {
	cached := 0
	if u != nil && u.PromptTokens > 0 {
		input, cached = u.PromptTokens-u.CachedTokens, u.CachedTokens
	}
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(input), 10)
	if cached > 0 {
		b = append(b, `,"cache_read_input_tokens":`...)
		b = strconv.AppendInt(b, int64(cached), 10)
	}
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(output), 10)
	return append(b, '}')
}

func outputTokens(u *chat.Usage) int {
	if u == nil {
		return 0
	}
	return u.CompletionTokens
}

// Whole renders a complete answer as a Message: its thinking, its text,
// then its tool calls, the blocks Anthropic sends in that order.
//
// A tool call whose arguments are not a JSON object cannot be a tool_use
// input: it goes as {} (the client's tool then reports the missing
// arguments to the model), and the arguments themselves as a text block
// before it, so nothing the model wrote is silently lost.
func (a *answer) Whole(as *ingress.Assembled) []byte {
	b := make([]byte, 0, 256+len(as.Content)+len(as.Reasoning))
	b = append(b, `{"id":`...)
	b = appendString(b, a.id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, a.model)
	b = append(b, `,"content":[`...)
	n := 0
	sep := func() {
		if n > 0 {
			b = append(b, ',')
		}
		n++
	}
	if as.Reasoning != "" || as.ReasoningSignature != "" {
		sep()
		b = append(b, `{"type":"thinking","thinking":`...)
		b = appendString(b, as.Reasoning)
		b = append(b, `,"signature":`...)
		b = appendString(b, as.ReasoningSignature)
		b = append(b, '}')
	}
	if as.Content != "" {
		sep()
		b = appendTextBlock(b, as.Content)
	}
	var input bytes.Buffer
	for _, c := range as.ToolCalls {
		input.Reset()
		ok := c.Arguments == "" || json.Compact(&input, []byte(c.Arguments)) == nil && input.Len() > 0 && input.Bytes()[0] == '{'
		id := c.ID
		if id == "" {
			id = ingress.NewID("toolu_")
		}
		if !ok {
			sep()
			b = appendTextBlock(b, "switchyard: the model's arguments for "+c.Name+" ("+id+") are not a JSON object, so the call goes with {}; they were: "+c.Arguments)
		}
		sep()
		b = append(b, `{"type":"tool_use","id":`...)
		b = appendString(b, id)
		b = append(b, `,"name":`...)
		b = appendString(b, c.Name)
		b = append(b, `,"input":`...)
		if ok && input.Len() > 0 {
			b = append(b, input.Bytes()...)
		} else {
			b = append(b, `{}`...)
		}
		b = append(b, '}')
	}
	b = append(b, `],"stop_reason":"`...)
	b = append(b, stopReason(as.Finish)...)
	b = append(b, `","stop_sequence":null,"usage":`...)
	b = appendUsage(b, a.promptTokens, as.Usage, outputTokens(as.Usage))
	return append(b, '}')
}

func appendTextBlock(b []byte, text string) []byte {
	b = append(b, `{"type":"text","text":`...)
	b = appendString(b, text)
	return append(b, '}')
}

var appendString = ingress.AppendString
