package router

import "net/http"

// Deciding a conversation seen for the first time holds several copies of
// it at once (the body, its decoded messages, the rendered prompt being
// counted), each as large as the body, and the work is CPU-bound on every
// core. Sixty-four agents sending new megabyte conversations at once would
// hold all those copies together for no gain in throughput, so large
// bodies are admitted by size: at most Options.DecidingBytes of them are
// being read and decided at a time, first come first served; the others
// wait, unread, for the client's bytes cost nothing here until they are
// read. A small body (most turns of most agents) never waits.

// admitBelow is the body size under which a request is not counted.
const admitBelow = 256 << 10

// admit waits until r may be read and decided. release must be called
// once that is done; it is never nil. err is the request's context ending
// while it waited.
func (rt *Router) admit(r *http.Request) (release func(), err error) {
	n := r.ContentLength
	if rt.deciding == nil || n < admitBelow {
		// Unknown lengths (chunked bodies, which agents do not send) are
		// read unadmitted rather than held back for a guess.
		return func() {}, nil
	}
	n = min(n, rt.opts.DecidingBytes)
	if err := rt.deciding.Acquire(r.Context(), n); err != nil {
		return func() {}, err
	}
	return func() { rt.deciding.Release(n) }, nil
}
