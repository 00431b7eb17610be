package openaichat

import (
	"encoding/json"
	"net/http"

	"github.com/switchyard/switchyard/ingress"
)

var _ ingress.ModelLister = Dialect{}

// ListsModels is false: OpenAI's clients send nothing that marks them, so
// they get this list as the first dialect's, the default.
func (Dialect) ListsModels(*http.Request) bool { return false }

// EncodeModels renders OpenAI's model list (GET /v1/models). OpenAI's own
// entries (platform.openai.com/docs/api-reference/models/object) have no
// window, so a known one goes under the two names clients of
// OpenAI-compatible servers read: context_length, OpenRouter's
// (openrouter.ai/docs/api-reference/list-available-models), which
// opencode's model discovery reads into limit.context; and max_model_len,
// vLLM's (docs.vllm.ai, the OpenAI-compatible server's ModelCard).
func (Dialect) EncodeModels(models []ingress.Model) []byte {
	type model struct {
		ID            string `json:"id"`
		Object        string `json:"object"`
		Created       int64  `json:"created"`
		OwnedBy       string `json:"owned_by"`
		ContextLength int    `json:"context_length,omitempty"`
		MaxModelLen   int    `json:"max_model_len,omitempty"`
	}
	list := make([]model, len(models))
	for i, m := range models {
		list[i] = model{ID: m.ID, Object: "model", Created: m.Created.Unix(), OwnedBy: m.OwnedBy,
			ContextLength: m.ContextWindow, MaxModelLen: m.ContextWindow}
	}
	b, _ := json.Marshal(struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{"list", list})
	return append(b, '\n')
}
