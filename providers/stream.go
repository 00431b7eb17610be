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
