package providers

import (
	"context"

	"github.com/switchyard/switchyard/chat"
)

// Stream is an answer arriving from an upstream.
//
// Next returns the next chunk. After the chunk that carries FinishReason it
// returns io.EOF. Any other error means the answer is incomplete and must
// never be presented as a complete one. Close releases the upstream
// connection; it is safe to call at any time and more than once.
type Stream interface {
	Next() (chat.Chunk, error)
	Close() error
}

// Waiter is a Stream that can say when it is about to wait for the
// upstream. The router then writes chunks to the client as they come and
// flushes them before each wait, instead of after every chunk: chunks that
// arrived together leave together (one write, not one each), and none is
// held back while the upstream is silent.
type Waiter interface {
	// BeforeWait makes Next call f, on Next's goroutine, before a read
	// that may block.
	BeforeWait(f func())
}

// Provider is one upstream: a model behind some vendor's API.
//
// Chat sends the job and returns once the upstream has accepted it (the
// response headers arrived, or the first chunk for vendors that report errors
// in the body). Errors before that point are *Error values so the router can
// decide whether another provider may be tried; cancelling ctx aborts the
// request and the stream.
type Provider interface {
	Chat(ctx context.Context, req *chat.Request) (Stream, error)
}

// Origin is a request as its client sent it: the dialect's name
// (ingress.Dialect.Name) and the body.
type Origin struct {
	Dialect string
	Body    []byte
}

// Forwarder is a Provider that can send a request in its client's own
// dialect, as the client sent it, unknown fields preserved: an
// OpenAI-compatible server given an OpenAI chat completions request. The
// router hands it the origin of every job and calls Chat only when ok is
// false (the provider does not speak that dialect).
type Forwarder interface {
	Forward(ctx context.Context, req *chat.Request, o Origin) (st Stream, ok bool, err error)
}
