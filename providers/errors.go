package providers

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies an upstream failure by what the router should do.
type ErrorKind int

// Error kinds. Unavailable, Timeout, RateLimited and Server are the
// provider's trouble: another provider may be tried, and they count against
// its health. Request and ContextLength are caused by the job: they do not
// count against the provider. Auth and Protocol are switchyard's or the
// operator's trouble (a wrong key, a broken upstream) and count against it.
const (
	KindServer        ErrorKind = iota // 5xx, or an error event mid-stream
	KindUnavailable                    // could not connect, or no key configured
	KindTimeout                        // no first byte in time
	KindRateLimited                    // 429 after retries
	KindRequest                        // the upstream rejected this request (4xx)
	KindContextLength                  // the prompt does not fit this model's window
	KindAuth                           // 401/403: the key is wrong or lacks access
	KindProtocol                       // the upstream answered something we cannot read
)

var kindNames = [...]string{"server", "unavailable", "timeout", "rate_limited", "request", "context_length", "auth", "protocol"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Retryable reports whether another provider may be tried after this kind
// of failure (before the first byte reached the client).
func (k ErrorKind) Retryable() bool {
	switch k {
	case KindServer, KindUnavailable, KindTimeout, KindRateLimited, KindContextLength, KindAuth:
		return true
	}
	return false
}

// Error is an upstream failure. Message is safe to show a client: it says
// what the upstream said, never a key or a prompt. Err is the cause, for logs.
type Error struct {
	Provider string
	Kind     ErrorKind
	// Status is the upstream's HTTP status, 0 if it never answered.
	Status  int
	Message string
	// RetryAfter is how long the upstream asked us to wait, if it said.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	s := e.Provider + ": " + e.Message
	if e.Status != 0 {
		s = fmt.Sprintf("%s: HTTP %d: %s", e.Provider, e.Status, e.Message)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err's *Error, if it has one.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}
