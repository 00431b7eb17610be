package router

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
)

// TestIndexPage: GET / is a short plain-text page (version, endpoints,
// config source, a readiness line per provider, as /readyz has them) and
// needs no token, like /readyz; every other unknown path stays a JSON 404.
func TestIndexPage(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	g := newRig(t, func(o *Options) {
		o.Version = "1.2.3-test"
		o.ConfigSource = "/etc/switchyard/switchyard.yaml"
		o.AuthToken = "s3cret"
		o.Settings.DefaultPrivacy = policy.Public
		o.Now = func() time.Time { return now }
		o.Upstreams[1].Unavailable = "MISTRAL_API_KEY is not set"
	})
	g.gemini.failBefore = &providers.Error{Provider: "gemini", Kind: providers.KindServer, Status: 500, Message: "boom"}
	auth := map[string]string{"Authorization": "Bearer s3cret", "X-Switchyard-Files": "9"}
	for i := 0; i < failuresToCool; i++ {
		// Heavy (9 files) public jobs go to the cloud first: gemini, as
		// devstral is unavailable, then fall back to local.
		g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, auth)
	}
	get := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, g.srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	cases := []struct {
		name, method, path string
		status             int
		contentType        string
		has                []string
	}{
		{"index", "GET", "/", 200, "text/plain", []string{
			"switchyard 1.2.3-test",
			"POST /v1/chat/completions", "GET /v1/models", "POST /v1/switchyard/explain", "GET /healthz", "GET /readyz",
			"Config: /etc/switchyard/switchyard.yaml",
			"  local     ready         ollama qwen3-coder:30b, local, window 262144 tokens\n",
			"  devstral  unavailable   mistral devstral-latest, cloud, window 262144 tokens: MISTRAL_API_KEY is not set\n",
			"  gemini    cooling down  gemini gemini-2.5-pro, cloud, window 1048576 tokens: resting until 10:00:30 after 3 failures in a row (gemini: server (HTTP 500): boom)\n",
		}},
		{"readyz-agrees", "GET", "/readyz", 200, "application/json", []string{`"state":"cooling_down"`, `"unavailable":"MISTRAL_API_KEY is not set"`}},
		{"unknown-path", "GET", "/index.html", 404, "application/json", []string{`"code":"not_found"`, "GET /readyz"}},
		{"post-root", "POST", "/", 404, "application/json", []string{`"code":"not_found"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(c.method, c.path)
			if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) {
				t.Errorf("status %d, Content-Type %q; want %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.contentType)
			}
			for _, s := range c.has {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %q:\n%s", s, body)
				}
			}
		})
	}
}
