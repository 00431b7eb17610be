package responses

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// answer renders one answer: whole, as a Response object, or as the
// events OpenAI streams (API reference, "Streaming events"):
//
//	response.created, response.in_progress
//	per output item: response.output_item.added, its deltas,
//	  response.output_item.done
//	response.completed (or response.incomplete, cut by the output budget)
//
// every event with its sequence_number, counted from 0. The items are a
// reasoning item for thinking (its text as summary_text: the part clients
// show and send back; the raw reasoning_text would be dropped by Codex on
// resend), a message item for text, and a function_call (or
// custom_tool_call) item for each call. Items are keyed by item_id and
// output_index, so several may be open at once: a call's item stays open,
// taking argument deltas, until the stream ends, and text or thinking that
// follows another kind closes that kind's item first. Codex acts on
// response.output_item.done and reads only id and usage of
// response.completed (codex-rs codex-api/src/sse/responses.rs).
type answer struct {
	d            *Dialect
	id, model    string
	created      int64
	promptTokens int
	opts         Options
	// history is the request's conversation without the instructions,
	// kept with the answer when the response is stored.
	history []chat.Message

	buf, payload []byte

	seq    int
	opened bool
	items  []*item
	text   *item // the open message or reasoning item
	calls  map[int]*item
}

type itemKind uint8

const (
	messageItem itemKind = iota
	reasoningItem
	callItem
	customItem
)

type item struct {
	kind   itemKind
	id     string
	index  int // output_index
	text   []byte
	callID string
	name   string
	args   []byte
	done   bool
}

func (a *answer) out() []byte {
	if len(a.buf) == 0 {
		return nil
	}
	return bytes.Clone(a.buf)
}

// event begins an event of type typ in payload, with its sequence number.
func (a *answer) event(typ string) {
	a.payload = append(a.payload[:0], `{"type":"`...)
	a.payload = append(a.payload, typ...)
	a.payload = append(a.payload, `","sequence_number":`...)
	a.payload = strconv.AppendInt(a.payload, int64(a.seq), 10)
	a.seq++
}

// emit closes the event's object and frames it.
func (a *answer) emit(typ string) {
	a.payload = append(a.payload, '}')
	a.buf = ingress.AppendEvent(a.buf, typ, a.payload)
}

func (a *answer) open() {
	if a.opened {
		return
	}
	a.opened = true
	for _, typ := range []string{"response.created", "response.in_progress"} {
		a.event(typ)
		a.payload = append(a.payload, `,"response":`...)
		a.payload = a.appendResponse(a.payload, "in_progress", nil, nil)
		a.emit(typ)
	}
}

// Chunk renders one chunk, opening the stream on the first call.
func (a *answer) Chunk(c *chat.Chunk) []byte {
	a.buf = a.buf[:0]
	a.open()
	if c.Reasoning != "" {
		it := a.textItem(reasoningItem)
		it.text = append(it.text, c.Reasoning...)
		a.itemEvent("response.reasoning_summary_text.delta", it)
		a.payload = append(a.payload, `,"summary_index":0,"delta":`...)
		a.payload = ingress.AppendString(a.payload, c.Reasoning)
		a.emit("response.reasoning_summary_text.delta")
	}
	if c.Content != "" {
		it := a.textItem(messageItem)
		it.text = append(it.text, c.Content...)
		a.itemEvent("response.output_text.delta", it)
		a.payload = append(a.payload, `,"content_index":0,"delta":`...)
		a.payload = ingress.AppendString(a.payload, c.Content)
		a.payload = append(a.payload, `,"logprobs":[]`...)
		a.emit("response.output_text.delta")
	}
	for i := range c.ToolCalls {
		a.toolDelta(&c.ToolCalls[i])
	}
	return a.out()
}

// textItem returns the open item of kind, closing an open item of the
// other text kind and starting one of kind when needed.
func (a *answer) textItem(kind itemKind) *item {
	if a.text != nil && a.text.kind == kind {
		return a.text
	}
	a.closeText()
	prefix := "msg_"
	if kind == reasoningItem {
		prefix = "rs_"
	}
	it := a.newItem(kind, ingress.NewID(prefix))
	a.text = it
	a.added(it)
	if kind == reasoningItem {
		a.itemEvent("response.reasoning_summary_part.added", it)
		a.payload = append(a.payload, `,"summary_index":0,"part":{"type":"summary_text","text":""}`...)
		a.emit("response.reasoning_summary_part.added")
	} else {
		a.itemEvent("response.content_part.added", it)
		a.payload = append(a.payload, `,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`...)
		a.emit("response.content_part.added")
	}
	return it
}

func (a *answer) newItem(kind itemKind, id string) *item {
	it := &item{kind: kind, id: id, index: len(a.items)}
	a.items = append(a.items, it)
	return it
}

// itemEvent begins an event about it: item_id and output_index.
func (a *answer) itemEvent(typ string, it *item) {
	a.event(typ)
	a.payload = append(a.payload, `,"item_id":`...)
	a.payload = ingress.AppendString(a.payload, it.id)
	a.payload = append(a.payload, `,"output_index":`...)
	a.payload = strconv.AppendInt(a.payload, int64(it.index), 10)
}

func (a *answer) added(it *item) {
	a.event("response.output_item.added")
	a.payload = append(a.payload, `,"output_index":`...)
	a.payload = strconv.AppendInt(a.payload, int64(it.index), 10)
	a.payload = append(a.payload, `,"item":`...)
	a.payload = a.appendItem(a.payload, it)
	a.emit("response.output_item.added")
}

// closeText ends the open message or reasoning item.
func (a *answer) closeText() {
	it := a.text
	if it == nil {
		return
	}
	a.text = nil
	it.done = true
	if it.kind == reasoningItem {
		a.itemEvent("response.reasoning_summary_text.done", it)
		a.payload = append(a.payload, `,"summary_index":0,"text":`...)
		a.payload = ingress.AppendString(a.payload, string(it.text))
		a.emit("response.reasoning_summary_text.done")
		a.itemEvent("response.reasoning_summary_part.done", it)
		a.payload = append(a.payload, `,"summary_index":0,"part":{"type":"summary_text","text":`...)
		a.payload = ingress.AppendString(a.payload, string(it.text))
		a.payload = append(a.payload, '}')
		a.emit("response.reasoning_summary_part.done")
	} else {
		a.itemEvent("response.output_text.done", it)
		a.payload = append(a.payload, `,"content_index":0,"text":`...)
		a.payload = ingress.AppendString(a.payload, string(it.text))
		a.payload = append(a.payload, `,"logprobs":[]`...)
		a.emit("response.output_text.done")
		a.itemEvent("response.content_part.done", it)
		a.payload = append(a.payload, `,"content_index":0,"part":`...)
		a.payload = appendTextPart(a.payload, string(it.text))
		a.emit("response.content_part.done")
	}
	a.itemDone(it)
}

func (a *answer) itemDone(it *item) {
	it.done = true
	a.event("response.output_item.done")
	a.payload = append(a.payload, `,"output_index":`...)
	a.payload = strconv.AppendInt(a.payload, int64(it.index), 10)
	a.payload = append(a.payload, `,"item":`...)
	a.payload = a.appendItem(a.payload, it)
	a.emit("response.output_item.done")
}

func (a *answer) toolDelta(d *chat.ToolCallDelta) {
	if a.calls == nil {
		a.calls = map[int]*item{}
	}
	it := a.calls[d.Index]
	if it == nil {
		a.closeText()
		kind := callItem
		if a.opts.Custom[d.Name] {
			kind = customItem
		}
		it = a.newItem(kind, ingress.NewID("fc_"))
		it.callID, it.name = d.ID, d.Name
		if it.callID == "" {
			it.callID = ingress.NewID("call_")
		}
		a.calls[d.Index] = it
		a.added(it)
	}
	if d.Arguments == "" {
		return
	}
	it.args = append(it.args, d.Arguments...)
	if it.kind == callItem {
		a.itemEvent("response.function_call_arguments.delta", it)
		a.payload = append(a.payload, `,"delta":`...)
		a.payload = ingress.AppendString(a.payload, d.Arguments)
		a.emit("response.function_call_arguments.delta")
	}
}

// closeCalls ends every call's item, in order.
func (a *answer) closeCalls() {
	for _, it := range a.items {
		if it.done || (it.kind != callItem && it.kind != customItem) {
			continue
		}
		if it.kind == callItem {
			a.itemEvent("response.function_call_arguments.done", it)
			a.payload = append(a.payload, `,"name":`...)
			a.payload = ingress.AppendString(a.payload, it.name)
			a.payload = append(a.payload, `,"arguments":`...)
			a.payload = ingress.AppendString(a.payload, arguments(it.args))
			a.emit("response.function_call_arguments.done")
		} else {
			a.itemEvent("response.custom_tool_call_input.done", it)
			a.payload = append(a.payload, `,"input":`...)
			a.payload = ingress.AppendString(a.payload, customInputOf(it.args))
			a.emit("response.custom_tool_call_input.done")
		}
		a.itemDone(it)
	}
}

// End closes every open item, then sends response.completed, or
// response.incomplete when the output budget or a filter cut the answer,
// with the whole response and its usage; a stored response is kept.
func (a *answer) End(finish chat.FinishReason, u *chat.Usage) []byte {
	a.buf = a.buf[:0]
	a.open()
	a.closeText()
	a.closeCalls()
	status, typ := "completed", "response.completed"
	if finish == chat.FinishLength || finish == chat.FinishContentFilter {
		status, typ = "incomplete", "response.incomplete"
	}
	a.event(typ)
	a.payload = append(a.payload, `,"response":`...)
	a.payload = a.appendResponse(a.payload, status, &finish, u)
	a.emit(typ)
	a.keep()
	return a.out()
}

// Whole renders a complete answer as a Response object.
func (a *answer) Whole(as *ingress.Assembled) []byte {
	if as.Reasoning != "" {
		a.newItem(reasoningItem, ingress.NewID("rs_")).text = []byte(as.Reasoning)
	}
	if as.Content != "" {
		a.newItem(messageItem, ingress.NewID("msg_")).text = []byte(as.Content)
	}
	for _, c := range as.ToolCalls {
		kind := callItem
		if a.opts.Custom[c.Name] {
			kind = customItem
		}
		it := a.newItem(kind, ingress.NewID("fc_"))
		it.callID, it.name, it.args = c.ID, c.Name, []byte(c.Arguments)
		if it.callID == "" {
			it.callID = ingress.NewID("call_")
		}
	}
	for _, it := range a.items {
		it.done = true
	}
	status := "completed"
	if as.Finish == chat.FinishLength || as.Finish == chat.FinishContentFilter {
		status = "incomplete"
	}
	b := a.appendResponse(make([]byte, 0, 512+len(as.Content)+len(as.Reasoning)), status, &as.Finish, as.Usage)
	a.keep()
	return b
}

// Fail renders response.failed and nothing else: no item is closed, no
// response.completed follows, so no client takes the cut answer for a
// whole one. The error's code is one Codex acts on (codex-rs
// codex-api/src/sse/responses.rs): context_length_exceeded makes it
// compact and retry, server_error and rate_limit_exceeded ("try again in
// Ns") make it retry, server_is_overloaded makes it wait; switchyard's own
// code leads the message.
func (a *answer) Fail(e *ingress.Error) []byte {
	a.buf = a.buf[:0]
	a.open()
	a.event("response.failed")
	a.payload = append(a.payload, `,"response":`...)
	fe := failure(e)
	a.payload = a.appendResponseWith(a.payload, "failed", nil, nil, &fe)
	a.emit("response.failed")
	return a.out()
}

// KeepAlive is response.in_progress again while no output has begun: an
// event, because Codex's idle timeout counts events and an SSE comment is
// none; afterwards an SSE comment, which every client skips.
func (a *answer) KeepAlive() []byte {
	if a.opened && len(a.items) > 0 {
		return ingress.Comment("keep-alive")
	}
	a.buf = a.buf[:0]
	if !a.opened {
		a.open()
		return a.out()
	}
	a.event("response.in_progress")
	a.payload = append(a.payload, `,"response":`...)
	a.payload = a.appendResponse(a.payload, "in_progress", nil, nil)
	a.emit("response.in_progress")
	return a.out()
}

// keep stores the response's conversation when the request asked to.
func (a *answer) keep() {
	if !a.opts.Store || a.d == nil {
		return
	}
	msgs := make([]chat.Message, 0, len(a.history)+1)
	msgs = append(msgs, a.history...)
	m := chat.Message{Role: chat.RoleAssistant}
	for _, it := range a.items {
		switch it.kind {
		case reasoningItem:
			m.Reasoning = append(m.Reasoning, chat.Reasoning{Text: string(it.text)})
		case messageItem:
			m.Content = append(m.Content, chat.Part{Type: chat.PartText, Text: string(it.text)})
		default:
			m.ToolCalls = append(m.ToolCalls, chat.ToolCall{ID: it.callID, Name: it.name, Arguments: arguments(it.args)})
		}
	}
	if m.Content == nil && len(m.ToolCalls) == 0 {
		m.Content = []chat.Part{}
	}
	msgs = append(msgs, m)
	a.d.store.put(a.id, msgs)
}

// arguments is a call's arguments as sent: "{}" for none.
func arguments(b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "{}"
	}
	return string(b)
}

// customInputOf is a custom tool's input from the arguments of the
// function it was offered as; arguments that are not that object go as
// they are, so nothing the model wrote is lost.
func customInputOf(args []byte) string {
	var o map[string]json.RawMessage
	if json.Unmarshal(args, &o) == nil {
		if raw, ok := o[customInput]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
		}
	}
	return string(args)
}

func appendTextPart(b []byte, text string) []byte {
	b = append(b, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	b = ingress.AppendString(b, text)
	return append(b, '}')
}

// appendItem appends it as an output item, in progress or done.
func (a *answer) appendItem(b []byte, it *item) []byte {
	status := "in_progress"
	if it.done {
		status = "completed"
	}
	switch it.kind {
	case messageItem:
		b = append(b, `{"id":`...)
		b = ingress.AppendString(b, it.id)
		b = append(b, `,"type":"message","status":"`...)
		b = append(b, status...)
		b = append(b, `","role":"assistant","content":[`...)
		if it.done {
			b = appendTextPart(b, string(it.text))
		}
		return append(b, "]}"...)
	case reasoningItem:
		b = append(b, `{"id":`...)
		b = ingress.AppendString(b, it.id)
		b = append(b, `,"type":"reasoning","summary":[`...)
		if it.done {
			b = append(b, `{"type":"summary_text","text":`...)
			b = ingress.AppendString(b, string(it.text))
			b = append(b, '}')
		}
		return append(b, "]}"...)
	case customItem:
		b = append(b, `{"id":`...)
		b = ingress.AppendString(b, it.id)
		b = append(b, `,"type":"custom_tool_call","status":"`...)
		b = append(b, status...)
		b = append(b, `","call_id":`...)
		b = ingress.AppendString(b, it.callID)
		b = append(b, `,"name":`...)
		b = ingress.AppendString(b, it.name)
		b = a.appendNamespace(b, it.name)
		b = append(b, `,"input":`...)
		in := ""
		if it.done {
			in = customInputOf(it.args)
		}
		b = ingress.AppendString(b, in)
		return append(b, '}')
	}
	b = append(b, `{"id":`...)
	b = ingress.AppendString(b, it.id)
	b = append(b, `,"type":"function_call","status":"`...)
	b = append(b, status...)
	b = append(b, `","arguments":`...)
	args := ""
	if it.done {
		args = arguments(it.args)
	}
	b = ingress.AppendString(b, args)
	b = append(b, `,"call_id":`...)
	b = ingress.AppendString(b, it.callID)
	b = append(b, `,"name":`...)
	b = ingress.AppendString(b, a.clientName(it.name))
	b = a.appendNamespace(b, it.name)
	return append(b, '}')
}

// clientName is the name the client gave a tool the model calls as name:
// a namespace's function whose name another tool had was offered with its
// namespace and "__" before it.
func (a *answer) clientName(name string) string {
	if ns, ok := a.opts.Namespaces[name]; ok && len(name) > len(ns)+2 && name[:len(ns)+2] == ns+"__" {
		return name[len(ns)+2:]
	}
	return name
}

func (a *answer) appendNamespace(b []byte, name string) []byte {
	ns, ok := a.opts.Namespaces[name]
	if !ok {
		return b
	}
	b = append(b, `,"namespace":`...)
	return ingress.AppendString(b, ns)
}

func (a *answer) appendResponse(b []byte, status string, finish *chat.FinishReason, u *chat.Usage) []byte {
	return a.appendResponseWith(b, status, finish, u, nil)
}

// appendResponse appends the Response object: its output items as they
// stand, the usage when finish is set (the upstream's, else switchyard's
// count of the prompt: Codex compacts by it), the error of a failed one,
// and the settings the request gave.
func (a *answer) appendResponseWith(b []byte, status string, finish *chat.FinishReason, u *chat.Usage, fe *failed) []byte {
	b = append(b, `{"id":`...)
	b = ingress.AppendString(b, a.id)
	b = append(b, `,"object":"response","created_at":`...)
	b = strconv.AppendInt(b, a.created, 10)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","background":false,"error":`...)
	if fe != nil {
		b = append(b, `{"code":`...)
		b = ingress.AppendString(b, fe.code)
		b = append(b, `,"message":`...)
		b = ingress.AppendString(b, fe.message)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	switch {
	case status == "incomplete" && finish != nil && *finish == chat.FinishContentFilter:
		b = append(b, `{"reason":"content_filter"}`...)
	case status == "incomplete":
		b = append(b, `{"reason":"max_output_tokens"}`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"instructions":null,"max_output_tokens":`...)
	b = appendJSON(b, a.opts.Echo.MaxOutputTokens)
	b = append(b, `,"model":`...)
	b = ingress.AppendString(b, a.model)
	b = append(b, `,"output":[`...)
	if finish != nil {
		for i, it := range a.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = a.appendItem(b, it)
		}
	}
	b = append(b, `],"parallel_tool_calls":`...)
	b = strconv.AppendBool(b, a.opts.Echo.ParallelToolCalls)
	b = append(b, `,"previous_response_id":`...)
	if a.opts.PreviousResponseID != "" {
		b = ingress.AppendString(b, a.opts.PreviousResponseID)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"reasoning":{"effort":`...)
	b = appendJSON(b, a.opts.Echo.Effort)
	b = append(b, `,"summary":`...)
	b = appendJSON(b, a.opts.Echo.Summary)
	b = append(b, `},"store":`...)
	b = strconv.AppendBool(b, a.opts.Store)
	b = append(b, `,"temperature":`...)
	b = appendJSON(b, a.opts.Echo.Temperature)
	b = append(b, `,"text":{"format":`...)
	if a.opts.Echo.TextFormat != nil && a.opts.Echo.TextFormat.Type != "" {
		b = appendJSON(b, a.opts.Echo.TextFormat)
	} else {
		b = append(b, `{"type":"text"}`...)
	}
	b = append(b, `},"tool_choice":`...)
	if len(a.opts.Echo.ToolChoice) > 0 {
		b = append(b, a.opts.Echo.ToolChoice...)
	} else {
		b = append(b, `"auto"`...)
	}
	b = append(b, `,"tools":[],"top_p":`...)
	b = appendJSON(b, a.opts.Echo.TopP)
	b = append(b, `,"truncation":"disabled","usage":`...)
	if finish != nil {
		b = a.appendUsage(b, u)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"metadata":`...)
	if a.opts.Echo.Metadata != nil {
		b = appendJSON(b, a.opts.Echo.Metadata)
	} else {
		b = append(b, "{}"...)
	}
	return append(b, '}')
}

func (a *answer) appendUsage(b []byte, u *chat.Usage) []byte {
	var v chat.Usage
	if u != nil {
		v = *u
	}
	if v.PromptTokens == 0 {
		v.PromptTokens = a.promptTokens
	}
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(v.PromptTokens), 10)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, int64(v.CachedTokens), 10)
	b = append(b, `},"output_tokens":`...)
	b = strconv.AppendInt(b, int64(v.CompletionTokens), 10)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, int64(v.ReasoningTokens), 10)
	b = append(b, `},"total_tokens":`...)
	b = strconv.AppendInt(b, int64(v.PromptTokens+v.CompletionTokens), 10)
	return append(b, '}')
}

// appendJSON appends v as encoding/json renders it; a nil pointer is null.
func appendJSON(b []byte, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, raw...)
}
