package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/configs"
)

// TestBundledConfigWithoutKeys: the README's first command runs the bundled
// config on a machine with no cloud keys; switchyard must start local-only
// and say why the clouds are unavailable.
func TestBundledConfigWithoutKeys(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cfg, err := configs.Read(nil, configs.BuiltIn, none)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), none, appExtras{})
	if err != nil {
		t.Fatalf("the bundled config does not build without keys: %v", err)
	}
	defer a.close()
	for _, name := range []string{"devstral", "gemini"} {
		u := a.upstream(name)
		if u == nil || u.Provider != nil || !strings.Contains(u.Unavailable, "_API_KEY is not set") {
			t.Errorf("%s: %+v", name, u)
		}
	}
	ex, err := a.router.Explain(http.Header{}, []byte(`{"model":"gemini","messages":[{"role":"user","content":"x"}]}`))
	if err != nil || ex.Refusal == nil || ex.Refusal.Code != "privacy_policy" {
		t.Errorf("%+v %v", ex, err)
	}
}
