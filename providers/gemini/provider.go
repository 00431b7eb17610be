package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/retry"
)

// Options configures a Provider.
type Options struct {
	// Name is the provider's name from config ("gemini"); it prefixes errors.
	Name string
	// BaseURL is the API root; "" means the SDK's default
	// (https://generativelanguage.googleapis.com/). Tests point it at a fake.
	BaseURL string
	// Model is the model id, e.g. "gemini-2.5-pro".
	Model string
	// APIKey is sent as x-goog-api-key. It is never logged and never appears
	// in an error: every error text is scrubbed of it.
	APIKey string
	// HTTPClient carries the requests; nil means retry.NewClient(retry.Options{}).
	// genai's own retries stay off, so retries happen once, here.
	HTTPClient *http.Client
	// MaxToolCallID bounds the length of the tool-call ids we hand to clients
	// (0 = 4096). A call whose signature does not fit keeps it in memory
	// only; see the package doc.
	MaxToolCallID int
	// SignatureCacheBytes bounds the in-memory signature map (0 = 32 MiB;
	// negative disables it).
	SignatureCacheBytes int
}

const (
	defaultMaxToolCallID = 4096
	defaultSigCacheBytes = 32 << 20
)

// Provider is the Gemini adapter. It is safe for concurrent use.
type Provider struct {
	name   string
	model  string
	key    string
	client *genai.Client
	maxID  int
	sigs   *sigCache
}

var _ providers.Provider = (*Provider)(nil)

// New builds a Provider. It makes no network call. A missing key is a
// KindUnavailable error: the contract says a cloud provider without its key
// is configured but unavailable.
func New(ctx context.Context, o Options) (*Provider, error) {
	if o.Name == "" {
		o.Name = "gemini"
	}
	if o.Model == "" {
		return nil, &providers.Error{Provider: o.Name, Kind: providers.KindRequest, Message: "no model configured"}
	}
	if o.APIKey == "" {
		return nil, &providers.Error{Provider: o.Name, Kind: providers.KindUnavailable, Message: "no API key configured"}
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = retry.NewClient(retry.Options{RetryAfter: bodyRetryDelay})
	}
	if o.MaxToolCallID <= 0 {
		o.MaxToolCallID = defaultMaxToolCallID
	}
	if o.SignatureCacheBytes == 0 {
		o.SignatureCacheBytes = defaultSigCacheBytes
	}
	// The SDK would otherwise read GEMINI_API_KEY/GOOGLE_API_KEY and
	// GOOGLE_GENAI_USE_VERTEXAI from the environment; the backend and key
	// are set explicitly so only our config decides where prompts go.
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:  o.APIKey,
		Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    o.BaseURL,
			APIVersion: "v1beta",
		},
		// metaTransport records each response's status and Retry-After,
		// which genai.APIError does not carry.
		HTTPClient: &http.Client{Transport: metaTransport{next: hc}},
	})
	if err != nil {
		// NewClient's errors print the whole ClientConfig, key included:
		// never pass its text on unscrubbed.
		return nil, &providers.Error{Provider: o.Name, Kind: providers.KindRequest,
			Message: "cannot build the Gemini client", Err: scrub(err, o.APIKey)}
	}
	p := &Provider{name: o.Name, model: o.Model, key: o.APIKey, client: client, maxID: o.MaxToolCallID}
	if o.SignatureCacheBytes > 0 {
		p.sigs = newSigCache(o.SignatureCacheBytes)
	}
	return p, nil
}

// Chat sends req as a streamGenerateContent call and returns once the first
// event has arrived (Gemini reports request errors in the status line, and
// the SDK only surfaces the stream once it is read). Errors before then are
// *providers.Error values. Cancelling ctx aborts the request and the stream.
func (p *Provider) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	if req == nil {
		return nil, p.requestError("empty request", nil)
	}
	tr, err := p.translate(req)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	meta := &respMeta{}
	sctx = context.WithValue(sctx, respMetaKey{}, meta)
	seq := p.client.Models.GenerateContentStream(sctx, p.model, tr.contents, tr.config)
	s := newStream(p, seq, sctx, cancel, meta)
	if err := s.prime(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// CheckModel asks Models.Get whether the configured model id still exists
// (Google retires ids on a schedule). nil means it does.
func (p *Provider) CheckModel(ctx context.Context) error {
	meta := &respMeta{}
	ctx = context.WithValue(ctx, respMetaKey{}, meta)
	m, err := p.client.Models.Get(ctx, p.model, nil)
	if err != nil {
		return p.mapError(ctx, err, meta)
	}
	if m == nil || m.Name == "" {
		return &providers.Error{Provider: p.name, Kind: providers.KindProtocol,
			Message: fmt.Sprintf("gemini said nothing about model %q", p.model)}
	}
	return nil
}

// respMeta is what metaTransport saw of the last HTTP response.
type respMeta struct {
	mu         sync.Mutex
	status     int
	retryAfter time.Duration
	hasRA      bool
}

func (m *respMeta) get() (int, time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status, m.retryAfter, m.hasRA
}

// seen reports whether any HTTP response arrived.
func (m *respMeta) seen() bool {
	st, _, _ := m.get()
	return st != 0
}

type respMetaKey struct{}

// metaTransport runs a request through the configured client and records
// the final response's status and Retry-After in the request's respMeta.
type metaTransport struct{ next *http.Client }

func (t metaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(r)
	if resp != nil {
		if m, ok := r.Context().Value(respMetaKey{}).(*respMeta); ok {
			ra, has := retry.RetryAfter(resp)
			if !has {
				ra, has = bodyRetryDelay(resp)
			}
			m.mu.Lock()
			m.status, m.retryAfter, m.hasRA = resp.StatusCode, ra, has
			m.mu.Unlock()
		}
	}
	return resp, err
}

// scrub returns err with every occurrence of key in its text replaced, and
// the text capped: some SDK errors quote a whole request or stream event,
// which would put prompts and answers in logs. The result deliberately does
// not unwrap to the original; context errors, which never hold the key or a
// prompt, are returned as they are.
func scrub(err error, key string) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	text := err.Error()
	if key != "" {
		text = strings.ReplaceAll(text, key, "[redacted]")
	}
	if len(text) > maxErrText {
		text = text[:maxErrText] + "…"
	}
	return &scrubbed{text: text}
}

// maxErrText bounds a logged cause.
const maxErrText = 300

type scrubbed struct{ text string }

func (s *scrubbed) Error() string { return s.text }
