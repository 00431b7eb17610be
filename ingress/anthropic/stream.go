package anthropic

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// answer renders one answer: whole, or as the stream Anthropic sends:
//
//	message_start
//	(content_block_start, content_block_delta*, content_block_stop)*
//	message_delta, message_stop
//
// with ping anywhere after message_start. Blocks are numbered from 0 and
// one is open at a time: thinking, text and each tool call are blocks of
// their own, and a change of kind closes the open block first. A signature
// closes a block of thinking (chat.Chunk.ReasoningSignature), so thinking
// after one opens another thinking block.
//
// Tool calls stream as they arrive while the upstream sends them one after
// another, as every upstream behind switchyard does. A fragment of a new
// call while the open call's arguments are not yet whole JSON means the
// upstream interleaves calls: the new call is held and sent whole when the
// open one completes, or at the end, so no fragment lands in a closed
// block. Arguments that arrive for a call whose block is closed (after its
// JSON was complete, or after text began) cannot be placed and are left
// out.
type answer struct {
	id, model    string
	promptTokens int

	buf, payload []byte // reused: what a call returns, and one event's JSON

	opened  bool
	open    blockKind
	signed  bool // the open thinking block has its signature
	next    int  // index of the next block
	calls   []*toolCall
	live    *toolCall // the call whose block is open
	anyCall bool
}

type blockKind uint8

const (
	noBlock blockKind = iota
	textBlock
	thinkingBlock
	toolBlock
)

type callState uint8

const (
	callHeld callState = iota
	callLive
	callDone
)

type toolCall struct {
	index    int
	id, name string
	args     []byte
	state    callState
}

// out returns what the call appended: a copy, since the caller may keep it
// past the next call.
func (a *answer) out() []byte {
	if len(a.buf) == 0 {
		return nil
	}
	return bytes.Clone(a.buf)
}

// emit frames the event in payload and appends it to buf.
func (a *answer) emit(name string) {
	a.buf = ingress.AppendEvent(a.buf, name, a.payload)
}

// begin starts an event's JSON in payload.
func (a *answer) begin(prefix string) {
	a.payload = append(a.payload[:0], prefix...)
}

// start appends message_start: the message with no content yet, its input
// tokens as the upstream counted them when the first chunk says, else as
// switchyard did; output_tokens is 1, as Anthropic's own message_start
// says before the first token.
func (a *answer) start(u *chat.Usage) {
	a.opened = true
	a.begin(`{"type":"message_start","message":{"id":`)
	a.payload = appendString(a.payload, a.id)
	a.payload = append(a.payload, `,"type":"message","role":"assistant","model":`...)
	a.payload = appendString(a.payload, a.model)
	a.payload = append(a.payload, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	a.payload = appendUsage(a.payload, a.promptTokens, u, 1)
	a.payload = append(a.payload, `}}`...)
	a.emit("message_start")
}

// Chunk renders one chunk, opening the stream on the first call.
func (a *answer) Chunk(c *chat.Chunk) []byte {
	a.buf = a.buf[:0]
	if !a.opened {
		a.start(c.Usage)
	}
	if c.Reasoning != "" {
		if a.open != thinkingBlock || a.signed {
			a.startBlock(thinkingBlock, nil)
		}
		a.delta("thinking_delta", "thinking", c.Reasoning)
	}
	if c.ReasoningSignature != "" {
		if a.open != thinkingBlock || a.signed {
			a.startBlock(thinkingBlock, nil)
		}
		a.delta("signature_delta", "signature", c.ReasoningSignature)
		a.signed = true
	}
	if c.Content != "" {
		if a.open != textBlock {
			a.startBlock(textBlock, nil)
		}
		a.delta("text_delta", "text", c.Content)
	}
	for i := range c.ToolCalls {
		a.toolDelta(&c.ToolCalls[i])
	}
	return a.out()
}

func (a *answer) toolDelta(d *chat.ToolCallDelta) {
	a.anyCall = true
	var tc *toolCall
	for _, c := range a.calls {
		if c.index == d.Index {
			tc = c
			break
		}
	}
	if tc == nil {
		tc = &toolCall{index: d.Index}
		a.calls = append(a.calls, tc)
	}
	if tc.state == callDone {
		return // see the type's comment
	}
	if tc.state == callHeld {
		if d.ID != "" {
			tc.id = d.ID
		}
		if d.Name != "" {
			tc.name = d.Name
		}
	}
	tc.args = append(tc.args, d.Arguments...)
	switch {
	case tc.state == callLive:
		if d.Arguments != "" {
			a.delta("input_json_delta", "partial_json", d.Arguments)
		}
	case a.live == nil || json.Valid(a.live.args):
		a.startBlock(toolBlock, tc)
	}
}

// closeBlock appends content_block_stop for the open block, if one is.
func (a *answer) closeBlock() {
	if a.open == noBlock {
		return
	}
	a.begin(`{"type":"content_block_stop","index":`)
	a.payload = strconv.AppendInt(a.payload, int64(a.next-1), 10)
	a.payload = append(a.payload, '}')
	a.emit("content_block_stop")
	if a.live != nil {
		a.live.state = callDone
		a.live = nil
	}
	a.open = noBlock
}

// startBlock closes the open block and starts one of kind; tc is the call
// of a tool_use block, whose arguments so far go out with it.
func (a *answer) startBlock(kind blockKind, tc *toolCall) {
	a.closeBlock()
	a.begin(`{"type":"content_block_start","index":`)
	a.payload = strconv.AppendInt(a.payload, int64(a.next), 10)
	switch kind {
	case textBlock:
		a.payload = append(a.payload, `,"content_block":{"type":"text","text":""}}`...)
	case thinkingBlock:
		a.payload = append(a.payload, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`...)
	case toolBlock:
		if tc.id == "" {
			tc.id = ingress.NewID("toolu_")
		}
		a.payload = append(a.payload, `,"content_block":{"type":"tool_use","id":`...)
		a.payload = appendString(a.payload, tc.id)
		a.payload = append(a.payload, `,"name":`...)
		a.payload = appendString(a.payload, tc.name)
		a.payload = append(a.payload, `,"input":{}}}`...)
	}
	a.emit("content_block_start")
	a.next++
	a.open, a.signed = kind, false
	if tc != nil {
		tc.state, a.live = callLive, tc
		if len(tc.args) > 0 {
			a.delta("input_json_delta", "partial_json", string(tc.args))
		}
	}
}

// delta appends a content_block_delta of the open block.
func (a *answer) delta(typ, key, text string) {
	a.begin(`{"type":"content_block_delta","index":`)
	a.payload = strconv.AppendInt(a.payload, int64(a.next-1), 10)
	a.payload = append(a.payload, `,"delta":{"type":"`...)
	a.payload = append(a.payload, typ...)
	a.payload = append(a.payload, `","`...)
	a.payload = append(a.payload, key...)
	a.payload = append(a.payload, `":`...)
	a.payload = appendString(a.payload, text)
	a.payload = append(a.payload, `}}`...)
	a.emit("content_block_delta")
}

// End closes the open block, sends any held tool call, then message_delta
// (the stop reason and the usage: output_tokens always, input_tokens when
// the upstream counted them) and message_stop.
func (a *answer) End(finish chat.FinishReason, u *chat.Usage) []byte {
	a.buf = a.buf[:0]
	if !a.opened {
		a.start(u)
	}
	a.closeBlock()
	for _, c := range a.calls {
		if c.state == callHeld {
			a.startBlock(toolBlock, c)
			a.closeBlock()
		}
	}
	a.begin(`{"type":"message_delta","delta":{"stop_reason":"`)
	a.payload = append(a.payload, stopReason(ingress.Finish(finish, a.anyCall))...)
	a.payload = append(a.payload, `","stop_sequence":null},"usage":{`...)
	if u != nil && u.PromptTokens > 0 {
		a.payload = append(a.payload, `"input_tokens":`...)
		a.payload = strconv.AppendInt(a.payload, int64(u.PromptTokens-u.CachedTokens), 10)
		if u.CachedTokens > 0 {
			a.payload = append(a.payload, `,"cache_read_input_tokens":`...)
			a.payload = strconv.AppendInt(a.payload, int64(u.CachedTokens), 10)
		}
		a.payload = append(a.payload, ',')
	}
	a.payload = append(a.payload, `"output_tokens":`...)
	a.payload = strconv.AppendInt(a.payload, int64(outputTokens(u)), 10)
	a.payload = append(a.payload, `}}`...)
	a.emit("message_delta")
	a.begin(`{"type":"message_stop"}`)
	a.emit("message_stop")
	return a.out()
}

// Fail renders an error event in Anthropic's envelope and nothing else: no
// block is closed and no message_stop follows, so no client takes the cut
// answer for a whole one. Claude Code retries an overloaded_error event
// that follows message_start (NOTES.md §6, r32).
func (a *answer) Fail(e *ingress.Error) []byte {
	a.buf = a.buf[:0]
	_, typ, msg := errorOf(e)
	a.payload = appendEnvelope(a.payload[:0], typ, msg, "")
	a.emit("error")
	return a.out()
}

// KeepAlive is Anthropic's ping, after message_start: the stream opens on
// the first keep-alive if no chunk has opened it (Anthropic sends nothing
// before message_start, and the SDKs' accumulators start from it).
func (a *answer) KeepAlive() []byte {
	a.buf = a.buf[:0]
	if !a.opened {
		a.start(nil)
	}
	a.begin(`{"type": "ping"}`)
	a.emit("ping")
	return a.out()
}
