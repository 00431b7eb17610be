package mistral

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/retry"
)

// DefaultBaseURL is Mistral's API.
const DefaultBaseURL = "https://api.mistral.ai/v1"

// Options configures a Provider.
type Options struct {
	// Name is the provider's name in the config ("devstral"); errors carry
	// it. Empty means "mistral".
	Name string
	// BaseURL is the API root including /v1; empty means DefaultBaseURL.
	// Tests point it at mistralfake.
	BaseURL string
	// Model is the model id sent upstream, e.g. devstral-latest.
	Model string
	// APIKey is sent as a bearer token and nowhere else: never logged, never
	// in an error. Empty makes every Chat fail with KindUnavailable.
	APIKey string
	// HTTPClient sends the requests; nil means retry.NewClient(retry.Options{}).
	// It must not set Timeout: answers stream for minutes.
	HTTPClient *http.Client
}

// Provider sends chat jobs to one Mistral model. It is safe for concurrent
// use.
type Provider struct {
	name    string
	model   string
	baseURL string
	apiKey  string
	hc      *http.Client
	client  *openai.Client
}

var _ providers.Provider = (*Provider)(nil)

// New returns a Provider for o. It does no I/O.
func New(o Options) *Provider {
	p := &Provider{
		name:    o.Name,
		model:   o.Model,
		baseURL: strings.TrimRight(o.BaseURL, "/"),
		apiKey:  o.APIKey,
		hc:      o.HTTPClient,
	}
	if p.name == "" {
		p.name = "mistral"
	}
	if p.baseURL == "" {
		p.baseURL = DefaultBaseURL
	}
	if p.hc == nil {
		p.hc = retry.NewClient(retry.Options{})
	}
	cfg := openai.DefaultConfig(o.APIKey)
	cfg.BaseURL = p.baseURL
	cfg.HTTPClient = wireDoer{next: p.hc}
	p.client = openai.NewClientWithConfig(cfg)
	return p
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

// Chat sends req to Mistral and returns its answer as a stream, once Mistral
// has accepted the request (the response headers arrived). The request is
// always streamed upstream, whether or not req.Stream is set. Failures before
// that point are *providers.Error values: KindRequest for a request the
// sanitizer cannot make acceptable to Mistral, and the kinds errors.go
// documents for Mistral's answers. Cancelling ctx ends the request and the
// stream.
func (p *Provider) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	if p.apiKey == "" {
		return nil, p.noKey()
	}
	wire, err := sanitize(req, p.model)
	if err != nil {
		return nil, &providers.Error{Provider: p.name, Kind: providers.KindRequest,
			Message: "cannot send this conversation to mistral: " + err.Error()}
	}
	body, err := json.Marshal(wire)
	if err != nil {
		// Only NaN or ±Inf could get here, and the sanitizer drops them.
		return nil, &providers.Error{Provider: p.name, Kind: providers.KindRequest,
			Message: "cannot encode this conversation for mistral", Err: err}
	}
	ex := &exchange{body: body}
	// go-openai marshals this placeholder; wireDoer sends body instead.
	raw, err := p.client.CreateChatCompletionStream(withExchange(ctx, ex), openai.ChatCompletionRequest{Model: p.model})
	if err != nil {
		return nil, p.callError(ctx, err, ex)
	}
	return &stream{p: p, ctx: ctx, raw: raw, prefix: prefixStripper{want: prefixOf(wire)}}, nil
}

// noKey is the error for a provider whose api_key_env is unset or empty:
// configured, but unavailable.
func (p *Provider) noKey() *providers.Error {
	return &providers.Error{Provider: p.name, Kind: providers.KindUnavailable,
		Message: "no API key is configured for this provider"}
}
