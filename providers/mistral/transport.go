package mistral

import (
	"bytes"
	"context"
	"io"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// exchange is one call's traffic through the HTTP seam: the body Chat built
// goes down, the status and headers of the upstream's answer come back.
// go-openai's error values keep the body of a failed answer but drop its
// headers, and the Retry-After of a 429 that outlasted our retries is in a
// header.
type exchange struct {
	body   []byte
	status int
	header http.Header
}

type exchangeKey struct{}

// withExchange returns a context that routes ex through wireDoer.
func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

// wireDoer is the openai.HTTPDoer the go-openai client sends through.
//
// go-openai marshals its own ChatCompletionRequest, which cannot express
// Mistral's schema: it has no random_seed and no assistant prefix, it drops
// temperature 0 (float32 with omitempty) and the content of a tool message
// that is empty. So Chat marshals its own body and this replaces go-openai's
// before the request leaves; everything else (URL, Authorization, Accept,
// the SSE framing of the answer) stays go-openai's. A request without an
// exchange in its context passes through untouched.
type wireDoer struct {
	next openai.HTTPDoer
}

// Do implements openai.HTTPDoer.
func (d wireDoer) Do(req *http.Request) (*http.Response, error) {
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		return d.next.Do(req)
	}
	if ex.body != nil {
		body := ex.body
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		// The retrying client replays the body through GetBody.
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	resp, err := d.next.Do(req)
	if resp != nil {
		ex.status = resp.StatusCode
		ex.header = resp.Header
	}
	return resp, err
}
