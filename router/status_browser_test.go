//go:build browser

package router

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/router/audit"
)

const browserToken = "browser-s3cret"

// report sends s unless errs is full: the events' listener must not block.
func report(errs chan string, s string) {
	select {
	case errs <- s:
	default:
	}
}

// TestStatusPageInBrowser signs in with auth on, loads the status page in headless chromium, sends
// a private and a public job, and waits for both decisions to appear without
// a reload; any console error or uncaught exception fails it. A screenshot
// goes to $SWITCHYARD_ARTIFACTS (or the system's temporary directory).
func TestStatusPageInBrowser(t *testing.T) {
	browser := "/usr/bin/chromium"
	if _, err := exec.LookPath(browser); err != nil {
		t.Skip("no browser: install Debian's chromium (apt-get install chromium) to run this test")
	}
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
	g := newRig(t, func(o *Options) {
		o.Audit, o.Usage = egress, usage
		o.Version = "browser-test"
		o.AuthToken = browserToken
		o.Settings.DefaultPrivacy = policy.Public
		o.Upstreams[0].Speed = speed
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Headless)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	errs := make(chan string, 16)
	chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				report(errs, "console error")
			}
		case *runtime.EventExceptionThrown:
			report(errs, "exception: "+e.ExceptionDetails.Text)
		}
	})
	// Auth is on: the page asks for the token, the login sets its cookie,
	// and the page then shows the status.
	// (The form is shown by a style change, which WaitVisible missed in
	// this chromedp: its computed style is polled for instead.)
	if err := chromedp.Do(ctx, chromedp.Navigate(g.srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`getComputedStyle(document.getElementById("login")).display !== "none"`)); err != nil {
		t.Fatalf("the page did not ask for the token: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#login input[name="token"]`, browserToken), chromedp.Submit("#login"),
		chromedp.WaitVisible("#providers tr")); err != nil {
		t.Fatalf("after the login: %v", err)
	}
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": "Bearer " + browserToken, "X-Switchyard-Privacy": "private"}).Body.Close()
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": "Bearer " + browserToken, "X-Switchyard-Privacy": "public", "X-Switchyard-Files": "9"}).Body.Close()
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#decisions tr:nth-child(2)")); err != nil {
		t.Fatal(err)
	}
	// Each row's privacy and route, newest first, as the page shows them.
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("#decisions tr")).map(tr => [tr.cells[2].textContent, tr.cells[5].textContent])`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "public" || rows[0][1] == "local" || rows[0][1] == "" || rows[1][0] != "private" || rows[1][1] != "local" {
		t.Errorf("decisions on the page (privacy, route; newest first): %q; want a public job routed to a cloud, then a private one routed local", rows)
	}
	// The chart: a dot for each observation, the prediction, the limit.
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](
		`["#charts circle.obs", "#charts polyline.curve", "#charts line.limit"].map(q => document.querySelectorAll(q).length)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(drawn) != 3 || drawn[0] != 3 || drawn[1] != 1 || drawn[2] != 1 {
		t.Errorf("chart has %v dots, prediction curves and limit lines; want 3, 1, 1", drawn)
	}
	// The split names the local model and the cloud the public job went to
	// (the page reads it every 10 s at most: poll until it has both).
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(t => t.includes("local") && t.includes("devstral"))(document.getElementById("split").textContent)`)); err != nil {
		split, _ := chromedp.Run(ctx, chromedp.Text("#split"))
		t.Errorf("the split never showed both jobs: %v; it shows %q", err, split)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("SWITCHYARD_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "switchyard-status.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
