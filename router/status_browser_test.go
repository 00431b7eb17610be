//go:build browser

package router

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/internal/browsertest"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/router/audit"
)

const browserToken = "browser-s3cret"

// TestStatusPageInBrowser signs in with auth on, loads the status page in
// headless chromium, sends a private and a public job, and waits for both
// decisions to appear without a reload; it reads the chart, the split and
// doctor's findings as drawn; any console error or uncaught exception fails
// it. A screenshot goes to $SWITCHYARD_ARTIFACTS (or the system's temporary
// directory).
func TestStatusPageInBrowser(t *testing.T) {
	p := browsertest.Open(t, 60*time.Second)
	// The local model has prefilled three prompts: the seed's 146,760
	// tokens among them, at about 400 tokens/s.
	speed := limits.NewSpeed(400, 30, 0)
	for _, p := range []limits.Observation{
		{Prompt: 8000, PromptDuration: 20 * time.Second},
		{Prompt: 60000, PromptDuration: 150 * time.Second},
		{Prompt: 146760, PromptDuration: 367 * time.Second},
	} {
		speed.Observe(p)
	}
	logs := t.TempDir()
	egress, _ := audit.Open(filepath.Join(logs, "egress.jsonl"), 0)
	usage, _ := audit.OpenTally(filepath.Join(logs, "usage.jsonl"), 0)
	defer egress.Close()
	defer usage.Close()
	findings := DoctorReport{Time: time.Now(), Findings: []Finding{
		{Check: "config", Status: "ok", Message: "switchyard.yaml is valid (3 providers)"},
		{Check: "local window", Status: "warn", Message: "model definition caps num_ctx at 131072", Fix: "remove PARAMETER num_ctx from the Modelfile"},
		{Check: "policy /src/app/.switchyard.yaml", Status: "fail", Message: "privacy: must be private or public", Fix: "fix the file"},
	}}
	g := newRig(t, func(o *Options) {
		o.Audit, o.Usage = egress, usage
		o.Version = "browser-test"
		o.AuthToken = browserToken
		o.Settings.DefaultPrivacy = policy.Public
		o.Upstreams[0].Speed = speed
		o.Findings = func() DoctorReport { return findings }
	})
	p.SignIn(t, g.srv.URL, browserToken)
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": "Bearer " + browserToken, "X-Switchyard-Privacy": "private"}).Body.Close()
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": "Bearer " + browserToken, "X-Switchyard-Privacy": "public", "X-Switchyard-Files": "9"}).Body.Close()
	if err := chromedp.Do(p.Ctx, chromedp.WaitVisible("#decisions tr:nth-child(2)")); err != nil {
		t.Fatal(err)
	}
	if rows := p.Decisions(t); len(rows) != 2 || rows[0][0] != "public" || rows[0][1] == "local" || rows[0][1] == "" || rows[1][0] != "private" || rows[1][1] != "local" {
		t.Errorf("decisions on the page (privacy, route; newest first): %q; want a public job routed to a cloud, then a private one routed local", rows)
	}
	// The chart: a dot for each observation, the prediction, the limit.
	drawn, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[]int](
		`["#charts circle.obs", "#charts polyline.curve", "#charts line.limit"].map(q => document.querySelectorAll(q).length)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(drawn) != 3 || drawn[0] != 3 || drawn[1] != 1 || drawn[2] != 1 {
		t.Errorf("chart has %v dots, prediction curves and limit lines; want 3, 1, 1", drawn)
	}
	// The split names the local model and the cloud the public job went to
	// (the page reads it every 10 s at most: poll until it has both).
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](`(t => t.includes("local") && t.includes("devstral"))(document.getElementById("split").textContent)`)); err != nil {
		split, _ := chromedp.Run(p.Ctx, chromedp.Text("#split"))
		t.Errorf("the split never showed both jobs: %v; it shows %q", err, split)
	}
	// Doctor: the failure, then the warning, each with its fix; the check
	// that passes is counted, not listed among them.
	listed, summary := p.Doctor(t)
	if len(listed) != 2 || listed[0][0] != "fail" || !strings.Contains(listed[0][1], "fix: fix the file") ||
		listed[1][0] != "warn" || !strings.Contains(listed[1][1], "local window: model definition caps num_ctx at 131072") || summary != "1 other check passes" {
		t.Errorf("doctor on the page: %q, %q; want the failing policy file, then the window's warning, each with its fix, and 1 other check", listed, summary)
	}
	p.Screenshot(t, "switchyard-status.png")
	p.CheckConsole(t)
}
