package ollamafake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// chat serves POST /api/chat, checking the request in the order Ollama's
// ChatHandler does (server/routes.go).
func (s *Server) chat(w http.ResponseWriter, r *http.Request, raw []byte, idx int) {
	if len(bytes.TrimSpace(raw)) == 0 {
		writeError(w, http.StatusBadRequest, "missing request body")
		return
	}
	var req ChatRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	for i := range req.Messages {
		// api.Message.UnmarshalJSON lower-cases the role.
		req.Messages[i].Role = strings.ToLower(req.Messages[i].Role)
	}
	s.setChat(idx, &req)
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "model is required")
		return
	}
	m, ok := s.model(req.Model)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
		return
	}
	// Capabilities the request needs (ChatHandler: tools → "tools", a
	// truthy think → "thinking"); a missing one is errCapabilities, 400.
	if len(req.Tools) > 0 && !slices.Contains(m.Capabilities, "tools") {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support tools", req.Model))
		return
	}
	if req.Think.Enabled() && !slices.Contains(m.Capabilities, "thinking") {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support thinking", req.Model))
		return
	}
	// Options that fail Options.FromMap fail scheduling: handleScheduleError
	// answers 500 for errors it does not recognise.
	if err := validateOptions(req.Options); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if err := validateFormat(req.Format); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ka, kaSet, err := keepAlive(req.KeepAlive)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	numCtx := s.window(&req, m)
	prompt := s.opts.CountTokens(RenderChatML(&req))
	if prompt > numCtx {
		if req.Truncate != nil && !*req.Truncate {
			// truncate:false (v0.12.6+): the runner refuses, and Ollama relays
			// the 400 before any chunk.
			writeError(w, http.StatusBadRequest, "the input length exceeds the context length")
			return
		}
		prompt = truncatedPromptTokens(numCtx)
	}

	reply := s.nextReply(&req)
	if reply.Status != 0 {
		writeError(w, reply.Status, reply.Error)
		return
	}
	load := s.load(m, numCtx, ka, kaSet)
	a := &answer{
		s: s, w: w, ctx: r.Context(), req: &req, model: m, reply: &reply,
		numCtx: numCtx, prompt: prompt, load: load, start: time.Now(),
	}
	a.run()
}

// validateFormat follows the server's check of format: absent, "json", or
// a JSON Schema object.
func validateFormat(f json.RawMessage) error {
	f = bytes.TrimSpace(f)
	switch {
	case len(f) == 0, string(f) == "null", string(f) == `""`, string(f) == `"json"`:
		return nil
	case f[0] == '{':
		return nil
	}
	return fmt.Errorf("invalid format: %q; expected \"json\" or a valid JSON Schema object", f)
}

// window is the effective num_ctx: the request's, else the definition's,
// else the default; never above the native length (llm/server.go caps it:
// "requested context size too large for model").
func (s *Server) window(req *ChatRequest, m Model) int {
	n := req.NumCtx()
	if n <= 0 {
		n = m.DefinitionNumCtx
	}
	if n <= 0 {
		n = s.opts.DefaultContext
	}
	if m.NativeContext > 0 && n > m.NativeContext {
		n = m.NativeContext
	}
	return n
}

// load puts the model in memory with numCtx and reports the load time: a
// model not loaded, or loaded with another num_ctx, is (re)loaded
// (server/sched.go needsReload compares the Runner options).
func (s *Server) load(m Model, numCtx int, ka time.Duration, kaSet bool) time.Duration {
	if !kaSet {
		ka = 5 * time.Minute // envconfig.KeepAlive default
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := canonical(m.Name)
	st, ok := s.loaded[key]
	var took time.Duration
	if !ok || st.numCtx != numCtx {
		s.loads[key]++
		took = s.opts.LoadDuration
	}
	exp := time.Now().Add(ka)
	if ka < 0 {
		exp = time.Date(2318, 1, 1, 0, 0, 0, 0, time.UTC) // "forever", as ps shows it
	}
	if ka == 0 {
		delete(s.loaded, key)
		return took
	}
	s.loaded[key] = &loadState{numCtx: numCtx, expiresAt: exp}
	return took
}

// answer writes one scripted reply.
type answer struct {
	s      *Server
	w      http.ResponseWriter
	ctx    context.Context
	req    *ChatRequest
	model  Model
	reply  *Reply
	numCtx int
	prompt int
	load   time.Duration
	start  time.Time

	calls   int
	content strings.Builder
	think   strings.Builder
	tools   []ToolCall
}

func (a *answer) run() {
	speed := a.s.opts.PrefillTokensPerSecond
	wait := a.reply.FirstChunkDelay
	if a.reply.PrefillTokensPerSecond > 0 {
		speed = a.reply.PrefillTokensPerSecond
		wait += secondsFor(a.prompt, speed)
	}
	if !a.sleep(wait) {
		return
	}
	prefill := secondsFor(a.prompt, speed)

	budget := -1 // output tokens left; -1 = unbounded
	if np := optionInt(a.req.Options, "num_predict"); np > 0 {
		budget = np
	}
	if a.req.Shift != nil && !*a.req.Shift {
		// shift:false: generation stops when the window is full.
		if left := a.numCtx - a.prompt; budget < 0 || left < budget {
			budget = max(left, 0)
		}
	}
	doneReason := a.reply.DoneReason
	if doneReason == "" {
		doneReason = "stop"
	}
	streaming := a.req.Streaming()
	if streaming {
		a.w.Header().Set("Content-Type", "application/x-ndjson")
	}
	generated := 0
	for _, st := range a.reply.Steps {
		if !a.sleep(st.Delay) {
			return
		}
		if st.Cut {
			a.flush()
			panic(http.ErrAbortHandler)
		}
		if st.Error != "" {
			if streaming {
				a.line(map[string]string{"error": st.Error})
			} else {
				writeError(a.w, http.StatusInternalServerError, st.Error)
			}
			return
		}
		msg := a.message(st)
		cost := a.cost(msg)
		if budget >= 0 && generated+cost > budget {
			doneReason = "length"
			break
		}
		generated += cost
		if streaming {
			a.line(chatResponse{Model: a.req.Model, CreatedAt: now(), Message: msg})
		} else {
			a.content.WriteString(msg.Content)
			a.think.WriteString(msg.Thinking)
			a.tools = append(a.tools, msg.ToolCalls...)
		}
	}
	final := chatResponse{
		Model: a.req.Model, CreatedAt: now(), Done: true, DoneReason: doneReason,
		Message:            &replyMessage{Role: "assistant"},
		PromptEvalCount:    a.prompt,
		PromptEvalDuration: int64(prefill),
		EvalCount:          generated,
		EvalDuration:       int64(secondsFor(generated, a.s.opts.EvalTokensPerSecond)),
		LoadDuration:       int64(a.load),
	}
	final.TotalDuration = int64(time.Since(a.start)) + final.LoadDuration + final.PromptEvalDuration + final.EvalDuration
	if streaming {
		a.line(final)
		return
	}
	final.Message.Content, final.Message.Thinking, final.Message.ToolCalls = a.content.String(), a.think.String(), a.tools
	writeJSON(a.w, http.StatusOK, final)
}

// message builds the assistant message of a step.
func (a *answer) message(st Step) *replyMessage {
	msg := &replyMessage{Role: "assistant", Content: st.Content, Thinking: st.Thinking}
	for _, c := range st.ToolCalls {
		id := c.ID
		if id == "" && !a.reply.OmitToolCallIDs {
			id = toolCallID()
		}
		args := Arguments(c.Arguments)
		if strings.TrimSpace(c.Arguments) == "" {
			args = Arguments("{}")
		}
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: id, Function: ToolCallFunction{Index: a.calls, Name: c.Name, Arguments: args}})
		a.calls++
	}
	return msg
}

// cost is the tokens a message took to generate.
func (a *answer) cost(m *replyMessage) int {
	n := a.s.opts.CountTokens(m.Content) + a.s.opts.CountTokens(m.Thinking)
	for _, c := range m.ToolCalls {
		n += a.s.opts.CountTokens(c.Function.Name) + a.s.opts.CountTokens(string(c.Function.Arguments))
	}
	return n
}

// line writes one NDJSON line and flushes it: the first write also sends
// the headers, as Ollama's do only with the first chunk.
func (a *answer) line(v any) {
	b, _ := json.Marshal(v)
	a.w.Write(append(b, '\n'))
	a.flush()
}

func (a *answer) flush() {
	if f, ok := a.w.(http.Flusher); ok {
		f.Flush()
	}
}

// sleep waits d unless the client goes away first; false if it did.
func (a *answer) sleep(d time.Duration) bool {
	if d <= 0 {
		return a.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.ctx.Done():
		return false
	}
}

func secondsFor(tokens int, perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(tokens) / perSecond * float64(time.Second))
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// toolCallID is "call_" + 8 [a-z0-9] (server/routes.go toolCallId).
func toolCallID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("call_00000000")
	for i := 5; i < len(b); i++ {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
