package geminifake

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// defaultErrors are Google's texts for the statuses tests script most.
var defaultErrors = map[int]apiErrorBody{
	429: {Status: "RESOURCE_EXHAUSTED", Message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."},
	500: {Status: "INTERNAL", Message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"},
	503: {Status: "UNAVAILABLE", Message: "The model is overloaded. Please try again later."},
}

// generate validates a request and plays the next scripted reply.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, model string, req *Request, raw []byte, stream bool) {
	if e := s.checkRequest(model, req, raw); e != nil {
		writeError(w, e, "")
		return
	}
	reply := s.next()
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.Status != 0 {
		s.writeScriptedError(w, reply)
		return
	}
	events := s.events(model, reply, estimateTokens(raw))
	if !stream {
		writeJSON(w, http.StatusOK, merge(events))
		return
	}
	if r.URL.Query().Get("alt") != "sse" {
		// Without alt=sse, streamGenerateContent answers a JSON array of
		// responses (junjihashimoto/louter test-data/gemini/README.md).
		writeJSON(w, http.StatusOK, events)
		return
	}
	s.writeSSE(w, r, reply, events)
}

func (s *Server) writeScriptedError(w http.ResponseWriter, reply Reply) {
	e := apiErrorBody{Code: reply.Status, Status: reply.ErrStatus, Message: reply.Message}
	if d, ok := defaultErrors[reply.Status]; ok {
		if e.Status == "" {
			e.Status = d.Status
		}
		if e.Message == "" {
			e.Message = d.Message
		}
	}
	if e.Status == "" {
		e.Status = strings.ToUpper(strings.ReplaceAll(http.StatusText(reply.Status), " ", "_"))
	}
	if reply.RetryDelay != "" {
		// The shape of a real 429 body's RetryInfo detail.
		e.Details = append(e.Details, map[string]any{
			"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": reply.RetryDelay,
		})
	}
	writeError(w, &e, reply.RetryAfter)
}

// writeSSE streams events as "data: <json>\r\n\r\n", flushing each.
func (s *Server) writeSSE(w http.ResponseWriter, r *http.Request, reply Reply, events []response) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for i, ev := range events {
		if reply.CutAfter > 0 && i >= reply.CutAfter {
			// Abort the response mid-body: the client sees the connection
			// drop without the chunked terminator.
			panic(http.ErrAbortHandler)
		}
		if i > 0 && reply.EventDelay > 0 {
			select {
			case <-time.After(reply.EventDelay):
			case <-r.Context().Done():
				return
			}
		}
		b, _ := json.Marshal(ev)
		if _, err := w.Write(append(append([]byte("data: "), b...), "\r\n\r\n"...)); err != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
	}
}

// events builds the scripted answer as a sequence of stream events:
// thoughts, text chunks, then all calls in one event; the last event
// carries the finish reason. Every event carries usageMetadata as a running
// total.
func (s *Server) events(model string, reply Reply, promptTokens int) []response {
	id := s.responseID()
	usage := &usageMetadata{PromptTokenCount: promptTokens}
	mk := func(parts []outPart) response {
		u := *usage
		u.TotalTokenCount = u.PromptTokenCount + u.CandidatesTokenCount + u.ThoughtsTokenCount
		return response{
			Candidates:    []candidate{{Content: &outContent{Role: "model", Parts: parts}}},
			UsageMetadata: &u, ModelVersion: model, ResponseID: id,
		}
	}
	if reply.BlockReason != "" {
		u := *usage
		u.TotalTokenCount = u.PromptTokenCount
		return []response{{PromptFeedback: &promptFeedback{BlockReason: reply.BlockReason}, UsageMetadata: &u, ModelVersion: model, ResponseID: id}}
	}
	text := reply.Text
	if len(text) == 0 && len(reply.Calls) == 0 && len(reply.Thoughts) == 0 && reply.FinishReason == "" {
		text = []string{"ok"}
	}
	var out []response
	usage.ThoughtsTokenCount = reply.ThoughtTokens
	for _, t := range reply.Thoughts {
		out = append(out, mk([]outPart{{Text: t, Thought: true}}))
	}
	first := true
	for _, t := range text {
		p := outPart{Text: t}
		if first && reply.SignFirstPartOnly {
			p.ThoughtSignature = s.newSignature(sigKind{})
		}
		first = false
		usage.CandidatesTokenCount += len(t)/4 + 1
		out = append(out, mk([]outPart{p}))
	}
	if len(reply.Calls) > 0 {
		var parts []outPart
		for _, c := range reply.Calls {
			p := outPart{FunctionCall: &FunctionCall{Name: c.Name, Args: c.Args}}
			if !reply.SignFirstPartOnly || first {
				p.ThoughtSignature = s.newSignature(sigKind{onCall: true, name: c.Name})
			}
			first = false
			usage.CandidatesTokenCount += 10
			parts = append(parts, p)
		}
		out = append(out, mk(parts))
	}
	if len(out) == 0 {
		// A filtered answer (SAFETY, RECITATION, ...) typically has no
		// content at all, only the finish reason.
		out = append(out, response{Candidates: []candidate{{}}, ModelVersion: model, ResponseID: id})
	}
	last := &out[len(out)-1]
	u := *usage
	u.TotalTokenCount = u.PromptTokenCount + u.CandidatesTokenCount + u.ThoughtsTokenCount
	last.UsageMetadata = &u
	if !reply.NoFinish {
		fr := reply.FinishReason
		if fr == "" {
			fr = "STOP"
		}
		last.Candidates[0].FinishReason = fr
		last.Candidates[0].FinishMessage = reply.FinishMessage
	}
	return out
}

// merge folds stream events into one generateContent response.
func merge(events []response) response {
	if len(events) == 0 {
		return response{}
	}
	out := events[len(events)-1]
	if len(out.Candidates) == 0 {
		return out
	}
	c := out.Candidates[0]
	var parts []outPart
	for _, ev := range events {
		if len(ev.Candidates) > 0 && ev.Candidates[0].Content != nil {
			parts = append(parts, ev.Candidates[0].Content.Parts...)
		}
	}
	c.Content = &outContent{Role: "model", Parts: parts}
	out.Candidates = []candidate{c}
	return out
}
