package router

import (
	"net/http"
)

// sseWriter writes server-sent events, flushing each one: a stream is never
// buffered.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

// begin sends the response head once.
func (s *sseWriter) begin() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// event writes one "data:" event.
func (s *sseWriter) event(data []byte) error {
	s.begin()
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	if _, err := s.w.Write(buf); err != nil {
		return err
	}
	return s.rc.Flush()
}

// comment writes an SSE comment line, which clients ignore.
func (s *sseWriter) comment(text string) error {
	s.begin()
	if _, err := s.w.Write([]byte(": " + text + "\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}

// done ends a complete stream.
func (s *sseWriter) done() {
	s.event([]byte("[DONE]"))
}
