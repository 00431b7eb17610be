package router

import (
	"net/http"
)

// sseWriter writes server-sent events. A stream is never buffered: each
// event is flushed as it is written (event), or, for an upstream stream
// that says when it is about to wait (providers.Waiter), the events that
// arrived together are flushed together before that wait (write, flush).
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	pending bool // written and not flushed
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

// event writes one "data:" event and flushes it.
func (s *sseWriter) event(data []byte) error {
	if err := s.write(data); err != nil {
		return err
	}
	return s.flush()
}

// write writes one "data:" event; it leaves the client when flush is
// called.
func (s *sseWriter) write(data []byte) error {
	s.begin()
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	_, err := s.w.Write(buf)
	s.pending = err == nil
	return err
}

// flush sends what was written, if anything.
func (s *sseWriter) flush() error {
	if !s.pending {
		return nil
	}
	s.pending = false
	return s.rc.Flush()
}

// comment writes an SSE comment line, which clients ignore.
func (s *sseWriter) comment(text string) error {
	s.begin()
	if _, err := s.w.Write([]byte(": " + text + "\n\n")); err != nil {
		return err
	}
	s.pending = false
	return s.rc.Flush()
}

// done ends a complete stream.
func (s *sseWriter) done() {
	s.event([]byte("[DONE]"))
}
