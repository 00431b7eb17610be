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

// EncodeModels renders OpenAI's model list (GET /v1/models).
func (Dialect) EncodeModels(models []ingress.Model) []byte {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := make([]model, len(models))
	for i, m := range models {
		list[i] = model{ID: m.ID, Object: "model", Created: m.Created.Unix(), OwnedBy: m.OwnedBy}
	}
	b, _ := json.Marshal(struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{"list", list})
	return append(b, '\n')
}
