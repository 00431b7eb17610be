package gemini

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/ingress"
)

// ModelRoutes are Google's model list and model get
// (https://ai.google.dev/api/models).
func (Dialect) ModelRoutes() []string {
	return []string{"GET /v1beta/models", "GET /v1beta/models/{model}"}
}

// EncodeModelsFor renders the list ({"models": [...]}, one page) or the one
// Model r's path names; a model not in the list is a 404.
func (Dialect) EncodeModelsFor(r *http.Request, models []ingress.Model) ([]byte, *ingress.Error) {
	want, one := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	if !one {
		b := append(make([]byte, 0, 256*len(models)+16), `{"models":[`...)
		for i := range models {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendModel(b, &models[i])
		}
		return append(b, "]}"...), nil
	}
	want = strings.TrimPrefix(want, "models/")
	for i := range models {
		if models[i].ID == want {
			return appendModel(nil, &models[i]), nil
		}
	}
	return nil, ingress.Errorf(http.StatusNotFound, ingress.CodeNotFound, "models/%s is not found: switchyard answers to the names GET /v1beta/models lists", want)
}

// appendModel appends one Model: its resource name, names for people, the
// window when known, and the methods this dialect answers.
func appendModel(b []byte, m *ingress.Model) []byte {
	name := m.DisplayName
	if name == "" {
		name = m.ID
	}
	b = append(b, `{"name":`...)
	b = appendString(b, "models/"+m.ID)
	b = append(b, `,"baseModelId":`...)
	b = appendString(b, m.ID)
	b = append(b, `,"version":"switchyard","displayName":`...)
	b = appendString(b, name)
	b = append(b, `,"description":`...)
	b = appendString(b, "switchyard: "+m.OwnedBy)
	if m.ContextWindow > 0 {
		b = append(b, `,"inputTokenLimit":`...)
		b = strconv.AppendInt(b, int64(m.ContextWindow), 10)
	}
	return append(b, `,"supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}`...)
}
