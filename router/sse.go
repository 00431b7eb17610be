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
	// contentType is the stream's when it is not server-sent events
	// (ingress.StreamTyper).
	contentType string
}

// begin sends the response head once.
func (s *sseWriter) begin() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	if s.contentType != "" {
		h.Set("Content-Type", s.contentType)
	} else {
		h.Set("Content-Type", "text/event-stream")
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// event writes bytes a dialect framed as events, and flushes them.
func (s *sseWriter) event(b []byte) error {
	if err := s.write(b); err != nil {
		return err
	}
	return s.flush()
}

// write writes bytes a dialect framed as events; they leave the client
// when flush is called.
func (s *sseWriter) write(b []byte) error {
	s.begin()
	_, err := s.w.Write(b)
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
