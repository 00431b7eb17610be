// Package openaicompat forwards jobs to any OpenAI-compatible server
// (llama.cpp server, vLLM, LM Studio, OpenRouter): the request goes as the
// client sent it when it came as OpenAI chat completions, unknown fields
// preserved, with only the model name rewritten, and encoded from
// switchyard's own form when it came in another dialect; the answer comes
// back as chat.Chunks.
package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/jsonscan"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/internal/lines"
	"github.com/switchyard/switchyard/providers/retry"
)

// Options configures a Provider.
type Options struct {
	// Name is the provider's name in the config, for errors.
	Name string
	// BaseURL is the API root including /v1, e.g. http://127.0.0.1:8080/v1.
	BaseURL string
	// Model replaces the client's model name.
	Model string
	// APIKey, when non-empty, is sent as a bearer token; never logged.
	APIKey string
	// Local says the server is a local engine, whose usage the local
	// tally and speed model learn from: a stream forwarded to it asks for
	// its usage (askUsage). A cloud gets the client's body as it came.
	Local bool
	// HTTPClient nil = retry.NewClient(retry.Options{}).
	HTTPClient *http.Client
}

// Provider is an OpenAI-compatible upstream.
type Provider struct {
	o      Options
	url    string
	client *http.Client
}

var (
	_ providers.Provider  = (*Provider)(nil)
	_ providers.Forwarder = (*Provider)(nil)
)

// New returns a Provider; it does no I/O.
func New(o Options) *Provider {
	if o.Name == "" {
		o.Name = "openai"
	}
	c := o.HTTPClient
	if c == nil {
		c = retry.NewClient(retry.Options{})
	}
	return &Provider{o: o, url: strings.TrimRight(o.BaseURL, "/") + "/chat/completions", client: c}
}

// Forward sends an OpenAI chat completions request as its client sent it,
// unknown fields (min_p, grammar, ...) preserved, with only the model
// rewritten. Requests in any other dialect go through Chat.
func (p *Provider) Forward(ctx context.Context, req *chat.Request, o providers.Origin) (providers.Stream, bool, error) {
	if o.Dialect != "openai-chat" {
		return nil, false, nil
	}
	body, err := rewriteModel(o.Body, p.o.Model)
	if err != nil {
		return nil, true, p.err(providers.KindRequest, 0, "the request body is not a JSON object", err)
	}
	if req.Stream && p.o.Local {
		body = askUsage(body)
	}
	st, err := p.send(ctx, body, req.Stream)
	if s, ok := st.(*sseStream); ok {
		s.relay = true
	}
	return st, true, err
}

// askUsage adds stream_options.include_usage to a streamed request that
// has no stream_options, so that a local engine reports the usage the
// tally and the speed model need; switchyard writes the usage chunk to its
// client only if the client asked for it. A client's own stream_options
// stay.
func askUsage(body []byte) []byte {
	has := false
	jsonscan.Members(body, func(k []byte, _, from int) int {
		has = has || string(k) == "stream_options"
		return jsonscan.SkipValue(body, from)
	})
	if has {
		return body
	}
	if out, ok := jsonscan.ReplaceMember(body, "stream_options", []byte(`{"include_usage":true}`)); ok {
		return out
	}
	return body
}

// Chat encodes req as an OpenAI chat completions request.
func (p *Provider) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	body, err := encode(req, p.o.Model)
	if err != nil {
		return nil, p.err(providers.KindRequest, 0, "cannot encode the request: "+err.Error(), err)
	}
	return p.send(ctx, body, req.Stream)
}

func (p *Provider) send(ctx context.Context, body []byte, stream bool) (providers.Stream, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return nil, p.err(providers.KindRequest, 0, "bad base_url", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if stream {
		hr.Header.Set("Accept", "text/event-stream")
	}
	if p.o.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+p.o.APIKey)
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, p.err(providers.KindTimeout, 0, "request cancelled", context.Cause(ctx))
		}
		return nil, p.err(providers.KindUnavailable, 0, "could not reach the server", scrub(err, p.o.APIKey))
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, p.statusError(resp)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return &sseStream{p: p, body: resp.Body, lines: lines.New(resp.Body)}, nil
	}
	return p.whole(resp)
}

// rewriteModel sets "model" and keeps every other field as it was: every
// other byte, when the body's structure is plain (a conversation of a
// megabyte is not decoded and encoded again for one string).
func rewriteModel(raw []byte, model string) ([]byte, error) {
	mb, _ := json.Marshal(model)
	if out, ok := jsonscan.ReplaceMember(raw, "model", mb); ok {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["model"] = mb
	return json.Marshal(m)
}

// whole reads a non-streamed chat.completion as one chunk.
func (p *Provider) whole(resp *http.Response) (providers.Stream, error) {
	defer resp.Body.Close()
	body, err := readBody(resp, maxWhole)
	if err != nil {
		return nil, p.err(providers.KindProtocol, resp.StatusCode, "the answer could not be read", err)
	}
	c, ok := decodeWhole(body)
	if !ok {
		c, err = decodeWholeSlowly(body)
		if err != nil {
			return nil, p.err(providers.KindProtocol, resp.StatusCode, err.Error(), err)
		}
	}
	return &oneChunk{c: c}, nil
}

// maxWhole bounds a whole answer's body.
const maxWhole = 64 << 20

// readBody reads a response body of at most limit bytes, in one
// allocation when the response says its length.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + 1) // +1: ReadFrom's check for the end fits
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("the answer is over %d MiB", limit>>20)
	}
	return buf.Bytes(), nil
}

// decodeWholeSlowly is decodeWhole by encoding/json, for every answer.
func decodeWholeSlowly(body []byte) (chat.Chunk, error) {
	var c struct {
		openai.ChatCompletionResponse
		Timings *timings `json:"timings"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return chat.Chunk{}, fmt.Errorf("the answer is not a chat.completion: %w", err)
	}
	if len(c.Choices) == 0 {
		return chat.Chunk{}, errors.New("the answer has no choices")
	}
	ch := c.Choices[0]
	out := chat.Chunk{Content: ch.Message.Content, Reasoning: ch.Message.ReasoningContent,
		FinishReason: finishReason(string(ch.FinishReason)), Usage: c.Timings.apply(usage(&c.Usage))}
	for i, tc := range ch.Message.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, chat.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if out.FinishReason == "" {
		out.FinishReason = chat.FinishStop
	}
	return out, nil
}

type oneChunk struct {
	c    chat.Chunk
	done bool
}

func (o *oneChunk) Next() (chat.Chunk, error) {
	if o.done {
		return chat.Chunk{}, io.EOF
	}
	o.done = true
	return o.c, nil
}

func (o *oneChunk) Close() error { return nil }

func usage(u *openai.Usage) *chat.Usage {
	if u == nil || (u.PromptTokens == 0 && u.CompletionTokens == 0) {
		return nil
	}
	out := &chat.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
	if u.PromptTokensDetails != nil {
		out.CachedTokens = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		out.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	return out
}

func finishReason(s string) chat.FinishReason {
	switch s {
	case "":
		return ""
	case "length", "model_length":
		return chat.FinishLength
	case "tool_calls", "function_call":
		return chat.FinishToolCalls
	case "content_filter":
		return chat.FinishContentFilter
	}
	return chat.FinishStop
}

func (p *Provider) statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &env) == nil && len(env.Error) > 0 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(env.Error, &e) == nil && e.Message != "" {
			msg = e.Message
		} else {
			var s string
			if json.Unmarshal(env.Error, &s) == nil {
				msg = s
			}
		}
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	if p.o.APIKey != "" {
		// (Replacing "" would put [key] between every character of it.)
		msg = strings.ReplaceAll(msg, p.o.APIKey, "[key]")
	}
	kind := providers.KindServer
	switch {
	case resp.StatusCode == 429:
		kind = providers.KindRateLimited
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		kind = providers.KindAuth
	case resp.StatusCode == 404:
		kind = providers.KindUnavailable
	case resp.StatusCode/100 == 4 && looksLikeContextLength(msg):
		kind = providers.KindContextLength
	case resp.StatusCode/100 == 4:
		kind = providers.KindRequest
	}
	e := p.err(kind, resp.StatusCode, fmt.Sprintf("%s said: %s", p.o.Name, msg), nil)
	if ra, ok := retry.RetryAfter(resp); ok {
		e.RetryAfter = ra
	}
	return e
}

func looksLikeContextLength(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "context length") || strings.Contains(m, "context_length") ||
		strings.Contains(m, "maximum context") || strings.Contains(m, "context size") || strings.Contains(m, "too many tokens") || strings.Contains(m, "exceeds the context")
}

func (p *Provider) err(kind providers.ErrorKind, status int, msg string, cause error) *providers.Error {
	return &providers.Error{Provider: p.o.Name, Kind: kind, Status: status, Message: msg, Err: cause}
}

// scrub removes the key from an error's text (a URL with credentials, a
// server that echoes headers).
func scrub(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[key]"))
}
