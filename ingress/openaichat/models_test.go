package openaichat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/openaichat"
)

// TestModelsSDK reads the model list with OpenAI's own SDK: every entry is
// a Model it accepts, and a known window is there under both names
// OpenAI-compatible clients read, while an unknown one is left out rather
// than sent as 0.
func TestModelsSDK(t *testing.T) {
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	models := []ingress.Model{
		{ID: "auto", OwnedBy: "switchyard", Created: created, ContextWindow: 131072},
		{ID: "devstral", OwnedBy: "mistral", Created: created},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openaichat.Dialect{}.EncodeModels(models))
	}))
	defer srv.Close()
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	page, err := client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 {
		t.Fatalf("%d models: %s", len(page.Data), page.RawJSON())
	}
	auto, dev := page.Data[0], page.Data[1]
	if auto.ID != "auto" || auto.OwnedBy != "switchyard" || auto.Created != created.Unix() || auto.Object != "model" {
		t.Errorf("auto: %s", auto.RawJSON())
	}
	for _, k := range []string{"context_length", "max_model_len"} {
		if got := auto.JSON.ExtraFields[k].Raw(); got != "131072" {
			t.Errorf("auto %s = %q, want 131072", k, got)
		}
		if f, ok := dev.JSON.ExtraFields[k]; ok {
			t.Errorf("devstral, window unknown, has %s %s", k, f.Raw())
		}
	}
}
