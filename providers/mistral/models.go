package mistral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// ErrModelNotListed is wrapped by CheckModel's error when Mistral's model
// list does not have the configured model: Mistral retires model ids (the
// known ones, with their dates, are in cmd/switchyard's retiredModels), and
// a retired id fails every chat with a 400.
var ErrModelNotListed = errors.New("model not listed by mistral")

// DeprecatedError is CheckModel's answer for a model Mistral still lists but
// has marked deprecated: it works until When, then goes away.
type DeprecatedError struct {
	Model string
	// When is Mistral's deprecation date for the model.
	When time.Time
	// Replacement is the model Mistral names instead, if any.
	Replacement string
}

func (e *DeprecatedError) Error() string {
	s := fmt.Sprintf("mistral: model %q is deprecated as of %s", e.Model, e.When.Format(time.DateOnly))
	if e.Replacement != "" {
		s += fmt.Sprintf("; mistral names %q as its replacement", e.Replacement)
	}
	return s
}

// modelCard is the part of a BaseModelCard/FTModelCard (openapi.yaml,
// GET /v1/models) CheckModel reads. go-openai's Model has no aliases and no
// deprecation, so the list is read here.
type modelCard struct {
	ID                          string     `json:"id"`
	Aliases                     []string   `json:"aliases"`
	Deprecation                 *time.Time `json:"deprecation"`
	DeprecationReplacementModel string     `json:"deprecation_replacement_model"`
}

// CheckModel asks Mistral's GET /models whether the configured model is
// still offered, for switchyard doctor. It returns nil when the model is
// listed (as an id or an alias) and not deprecated, a *DeprecatedError when
// it is listed with a deprecation date, an error wrapping ErrModelNotListed
// when it is not listed, and a *providers.Error when Mistral could not be
// asked (no key, a wrong key, unreachable).
func (p *Provider) CheckModel(ctx context.Context) error {
	if p.apiKey == "" {
		return p.noKey()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL+"/models", nil)
	if err != nil {
		return p.transportError(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Accept", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return p.contextError(ctx.Err())
		}
		return p.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return p.transportError(err)
	}
	if resp.StatusCode/100 != 2 {
		return p.statusError(resp.StatusCode, resp.Header, parseErrorBody(body))
	}
	var list struct {
		Data []modelCard `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("mistral: reading the model list: %w", err)
	}
	for _, m := range list.Data {
		if m.ID != p.model && !slices.Contains(m.Aliases, p.model) {
			continue
		}
		if m.Deprecation != nil {
			return &DeprecatedError{Model: p.model, When: *m.Deprecation, Replacement: m.DeprecationReplacementModel}
		}
		return nil
	}
	return fmt.Errorf("mistral: %q is not among the %d models this key can use (retired, or misspelt): %w", p.model, len(list.Data), ErrModelNotListed)
}
