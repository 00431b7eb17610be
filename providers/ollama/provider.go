package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// Log attribute keys.
const (
	logProvider   = "provider"
	logModel      = "model"
	logNative     = "native_context"
	logDefinition = "definition_num_ctx"
	logNumCtx     = "num_ctx"
	logErr        = "err"
)

// DefaultChangeCheckInterval is how often, at most, Chat asks /api/tags
// whether the model changed under it.
const DefaultChangeCheckInterval = 5 * time.Second

// Options configure a Provider.
type Options struct {
	// Name is the provider's name from the config ("local"), used in errors.
	Name string
	// BaseURL is Ollama's address, e.g. http://127.0.0.1:11434.
	BaseURL string
	// Model is the Ollama model, e.g. qwen3-coder:30b.
	Model string
	// ContextWindow is the configured window. 0 means the model's native
	// length from /api/show, capped by MaxWindow when that is set. A window
	// above the native length is lowered to it, as Ollama would (llm/server.go
	// "requested context size too large for model").
	ContextWindow int
	// MaxWindow, when set and ContextWindow is 0, returns the largest window
	// that fits this machine's memory for the model described; the window
	// sent is the smaller of it and the native length. A result <= 0 means
	// no cap. It is called on every Refresh and must not block.
	MaxWindow func(ModelInfo) int
	// KeepAlive, when non-empty, is sent as keep_alive: a duration such as
	// "30m", or a number of seconds ("-1" keeps the model loaded).
	KeepAlive string
	// HTTPClient is used for every request. nil builds one with dial and
	// idle timeouts and no overall or response-header timeout: Ollama sends
	// its headers only with the first chunk, after the prefill, which may
	// take minutes for a long private prompt. It never uses a proxy.
	HTTPClient *http.Client
	// Logger receives warnings about the model definition; nil discards.
	Logger *slog.Logger
	// Observe, when set, is called with Ollama's timings after every
	// completed reply, from the goroutine that reads the stream. It must be
	// quick and safe for concurrent use.
	Observe func(Metrics)
	// ChangeCheckInterval bounds how often Chat checks /api/tags for a
	// changed model (default DefaultChangeCheckInterval; negative disables
	// the check).
	ChangeCheckInterval time.Duration
}

// Provider is a model behind a local Ollama. It is safe for concurrent use.
type Provider struct {
	opts      Options
	name      string
	base      string
	client    *http.Client
	log       *slog.Logger
	keepAlive json.RawMessage

	// refreshing is a one-slot semaphore serialising Refresh; a channel so
	// that a caller waiting for it still honours its context.
	refreshing chan struct{}

	// args and tools keep what tool-call arguments and tool schemas
	// decode to, for the bodies Chat sends and the prompts a count
	// renders alike.
	args  *argsCache
	tools *toolCache

	mu        sync.Mutex
	info      *ModelInfo
	stale     bool      // Ollama said the model is not found: refresh first
	checkedAt time.Time // last /api/tags change check or refresh
	warnedFor string    // identity of the model last warned about
}

var _ providers.Provider = (*Provider)(nil)

// New returns a Provider. It does no I/O; call Refresh at start.
func New(o Options) *Provider {
	if o.Name == "" {
		o.Name = "ollama"
	}
	if o.ChangeCheckInterval == 0 {
		o.ChangeCheckInterval = DefaultChangeCheckInterval
	}
	p := &Provider{
		opts:       o,
		name:       o.Name,
		base:       strings.TrimRight(o.BaseURL, "/"),
		client:     o.HTTPClient,
		log:        o.Logger,
		refreshing: make(chan struct{}, 1),
		args:       newArgsCache(),
		tools:      newToolCache(),
	}
	if p.client == nil {
		p.client = &http.Client{Transport: NewTransport()}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With(logProvider, o.Name, logModel, o.Model)
	if ka := strings.TrimSpace(o.KeepAlive); ka != "" {
		// Ollama's Duration takes a number as seconds and a string as a Go
		// duration (api/types.go Duration.UnmarshalJSON), so "-1" must go
		// as a number to mean "forever".
		if n, err := strconv.ParseFloat(ka, 64); err == nil {
			p.keepAlive = json.RawMessage(strconv.FormatFloat(n, 'f', -1, 64))
		} else {
			p.keepAlive, _ = json.Marshal(ka)
		}
	}
	return p
}

// NewTransport returns the transport New uses when Options.HTTPClient is
// nil: bounded dials, idle connections reaped, no response-header timeout
// (see Options.HTTPClient), and no proxy, because a private prompt must
// never leave the machine through an HTTP_PROXY set in the environment.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}

// Chat sends the job to Ollama's /api/chat and returns once Ollama's
// response headers arrived, which Ollama sends with its first chunk, after
// the prefill. Failures before that are *providers.Error values; a model
// Ollama does not have is KindUnavailable, a prompt longer than the window
// KindContextLength. Cancelling ctx aborts the upstream request at once.
func (p *Provider) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	if req == nil {
		return nil, p.requestError("no request")
	}
	info, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	body, err := p.translate(req, info.NumCtx, thinkModeOf(info))
	if err != nil {
		return nil, err
	}
	wire, ok, err := newChatBody(body)
	if err != nil {
		return nil, p.requestError("cannot encode the request: %v", err)
	}
	if !ok {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, p.requestError("cannot encode the request: %v", err)
		}
		wire = bytes.NewReader(raw)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/api/chat", wire)
	if err != nil {
		return nil, &providers.Error{Provider: p.name, Kind: providers.KindUnavailable, Message: "invalid Ollama base URL", Err: err}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/x-ndjson")
	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, p.transportError(ctx, "chat", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := p.statusError("chat", resp)
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			p.markStale()
		}
		return nil, e
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/x-ndjson" && ct != "application/json" {
		resp.Body.Close()
		return nil, &providers.Error{Provider: p.name, Kind: providers.KindProtocol, Status: resp.StatusCode,
			Message: "chat: unexpected content type " + strconv.Quote(ct) + "; is base_url an Ollama server?"}
	}
	return newStream(p, ctx, resp.Body, info.NumCtx), nil
}

// doJSON sends a request with an optional JSON body and decodes a JSON
// answer of at most limit bytes into out.
func (p *Provider) doJSON(ctx context.Context, method, path string, in, out any, limit int64) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, p.base+path, body)
	if err != nil {
		return &providers.Error{Provider: p.name, Kind: providers.KindUnavailable, Message: "invalid Ollama base URL", Err: err}
	}
	if in != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return p.transportError(ctx, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return p.statusError(path, resp)
	}
	lr := &io.LimitedReader{R: resp.Body, N: limit + 1}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		if lr.N <= 0 {
			return &providers.Error{Provider: p.name, Kind: providers.KindProtocol, Message: path + ": answer larger than " + strconv.FormatInt(limit, 10) + " bytes"}
		}
		if ctx.Err() != nil {
			return p.transportError(ctx, path, err)
		}
		return &providers.Error{Provider: p.name, Kind: providers.KindProtocol, Message: path + ": unreadable answer", Err: err}
	}
	return nil
}
