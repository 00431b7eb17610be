//go:build browser

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/internal/browsertest"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
)

// TestStatusPageInBrowserDaemon is the status page of the real daemon, in
// headless chromium: `switchyard serve` with auth on, a fake Ollama, a fake
// Mistral with its key and a Gemini without one. It signs in, sends a
// private and a public job, and waits for both decisions to appear with
// their routes without a reload, and for doctor's findings: the seed's
// window label and the missing key, each with its fix. No console error,
// no uncaught exception, and no request at a cloud but the public job's. A
// screenshot goes to $SWITCHYARD_ARTIFACTS (or the system's temporary
// directory).
func TestStatusPageInBrowserDaemon(t *testing.T) {
	p := browsertest.Open(t, 90*time.Second)
	quickDoctor(t)
	fake, up, ms, gs := seedFakes(t)
	dir := t.TempDir()
	cfg := seedConfig(t, dir, up.URL)
	cfg.Auth.TokenEnv = "BROWSER_SWITCHYARD_TOKEN"
	cfg.Policy.DefaultPrivacy = "public"
	cfg.Providers = append(cfg.Providers,
		cloudProvider("devstral", configs.KindMistral, ms.URL, "mistral-medium-3-5", "BROWSER_MISTRAL_KEY", 262144),
		cloudProvider("gemini", configs.KindGemini, gs.URL, "gemini-3.8-flash", "BROWSER_GEMINI_KEY", 1048576))
	const token = "browser-daemon-s3cret"
	g := startDaemon(t, dir, cfg, fake, map[string]string{"BROWSER_SWITCHYARD_TOKEN": token, "BROWSER_MISTRAL_KEY": mistralfake.DefaultAPIKey})

	p.SignIn(t, g.url, token)
	for _, job := range []struct{ privacy, files, route string }{{"private", "0", "local"}, {"public", "9", "devstral"}} {
		req, _ := http.NewRequest("POST", g.url+"/v1/chat/completions", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Switchyard-Privacy", job.privacy)
		req.Header.Set("X-Switchyard-Files", job.files)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != job.route {
			t.Fatalf("%s job: %d routed to %q; want 200 from %s", job.privacy, resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), job.route)
		}
	}
	if err := chromedp.Do(p.Ctx, chromedp.WaitVisible("#decisions tr:nth-child(2)")); err != nil {
		t.Fatal(err)
	}
	if rows := p.Decisions(t); len(rows) != 2 || rows[0][0] != "public" || rows[0][1] != "devstral" || rows[1][0] != "private" || rows[1][1] != "local" {
		t.Errorf("decisions on the page (privacy, route; newest first): %q; want the public job on devstral, then the private one local", rows)
	}

	// The daemon's doctor has run on the app that serves once Ollama has
	// answered: its window label and the missing key are listed, with
	// their fixes.
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](
		`(t => t.includes("gemini key") && t.includes("local window"))(document.getElementById("doctor").textContent)`)); err != nil {
		t.Fatalf("the doctor section never listed the key and the window: %v", err)
	}
	listed, summary := p.Doctor(t)
	var key, window bool
	for _, f := range listed {
		key = key || f[0] == "warn" && strings.Contains(f[1], "gemini key: BROWSER_GEMINI_KEY is not set") && strings.Contains(f[1], "fix: export BROWSER_GEMINI_KEY=<your key>")
		window = window || f[0] == "warn" && strings.Contains(f[1], "local window: model definition caps num_ctx at 131072") && strings.Contains(f[1], "fix: ")
		if f[0] != "warn" && f[0] != "fail" {
			t.Errorf("a finding that is ok is listed among those that are not: %q", f)
		}
	}
	if !key || !window || !strings.HasSuffix(summary, " pass") && !strings.HasSuffix(summary, " passes") {
		t.Errorf("doctor on the page: %q, %q; want the missing key and the window's label, each with its fix, and a count of those that pass", listed, summary)
	}
	if text, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.body.textContent`)); err != nil || strings.Contains(text, mistralfake.DefaultAPIKey) {
		t.Errorf("the page shows a key's value (or could not be read: %v)", err)
	}

	p.Screenshot(t, "switchyard-status-daemon.png")
	p.CheckConsole(t)
	if n, m := len(ms.Requests()), len(gs.Requests()); n != 1 || m != 0 {
		t.Errorf("Mistral received %d requests and Gemini %d; want the public job's only", n, m)
	}
}
