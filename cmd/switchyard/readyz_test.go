package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReadyzShowsDefinition: once Ollama has answered, /readyz shows the
// window switchyard will use and, beside it, what the model's definition
// says (the fake's Modelfile says num_ctx 131072 of a native 262144), and
// the index page says the same in words.
func TestReadyzShowsDefinition(t *testing.T) {
	g := startSeed(t, nil)
	type provider struct {
		Available  bool `json:"available"`
		Window     int  `json:"context_window"`
		Definition int  `json:"definition_num_ctx"`
	}
	var p provider
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(g.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Providers []provider }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || len(out.Providers) != 1 {
			t.Fatalf("readyz: %v %+v", err, out)
		}
		if p = out.Providers[0]; p.Available {
			break
		}
	}
	if !p.Available || p.Window != 262144 || p.Definition != 131072 {
		t.Errorf("readyz says %+v; want available, window 262144, definition num_ctx 131072", p)
	}
	resp, err := http.Get(g.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "window 262144 tokens (its definition says num_ctx 131072; switchyard sends 262144)") {
		t.Errorf("the index page does not show the definition beside the window:\n%s", page)
	}
}
