//go:build browser

// Package browsertest drives switchyard's status page in headless chromium,
// for the tests built with -tags browser: router's, against fake upstreams,
// and cmd/switchyard's, against the real daemon.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is Debian's chromium, which .ci/run installs.
const Chromium = "/usr/bin/chromium"

// Page is one tab of a headless chromium that notes the page's console
// errors and uncaught exceptions.
type Page struct {
	// Ctx runs chromedp actions in the tab.
	Ctx context.Context

	mu   sync.Mutex
	errs []string
}

// Open starts chromium with one tab, which closes when t ends or after
// timeout. It skips t when chromium is not installed.
func Open(t testing.TB, timeout time.Duration) *Page {
	t.Helper()
	if _, err := exec.LookPath(Chromium); err != nil {
		t.Skip("no browser: install Debian's chromium (apt-get install chromium) to run this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Chromium), chromedp.NoSandbox, chromedp.Headless)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancel(); cancelTab(); cancelAlloc() })
	p := &Page{Ctx: ctx}
	chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				p.note("console error")
			}
		case *runtime.EventExceptionThrown:
			p.note("exception: " + e.ExceptionDetails.Text)
		}
	})
	return p
}

// note keeps what went wrong on the page; the events' listener must not
// block, so it only appends.
func (p *Page) note(s string) {
	p.mu.Lock()
	p.errs = append(p.errs, s)
	p.mu.Unlock()
}

// SignIn loads the status page at url with auth on: the page asks for the
// token, the login sets its cookie, and the page then shows the providers.
func (p *Page) SignIn(t testing.TB, url, token string) {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.Navigate(url+"/")); err != nil {
		t.Fatal(err)
	}
	// The form is shown by a style change, which WaitVisible missed in
	// this chromedp: its computed style is polled for instead.
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](`getComputedStyle(document.getElementById("login")).display !== "none"`)); err != nil {
		t.Fatalf("the page did not ask for the token: %v", err)
	}
	if err := chromedp.Do(p.Ctx, chromedp.SendKeys(`#login input[name="token"]`, token), chromedp.Submit("#login"),
		chromedp.WaitVisible("#providers tr")); err != nil {
		t.Fatalf("after the login: %v", err)
	}
}

// Decisions are the rows of the page's last decisions, newest first: each
// one's privacy and route, as the page shows them.
func (p *Page) Decisions(t testing.TB) [][]string {
	t.Helper()
	rows, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("#decisions tr")).map(tr => [tr.cells[2].textContent, tr.cells[5].textContent])`))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Doctor is the page's doctor section: each finding listed as not ok, as
// its class (warn or fail) and text, and the line about those that pass.
func (p *Page) Doctor(t testing.TB) (listed [][]string, summary string) {
	t.Helper()
	listed, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("#doctor li")).map(li => [li.className, li.textContent])`))
	if err != nil {
		t.Fatal(err)
	}
	summary, err = chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.getElementById("doctor-summary").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	return listed, summary
}

// Screenshot writes the whole page as a PNG named name to
// $SWITCHYARD_ARTIFACTS, or the system's temporary directory (a person may
// want to look at it after the test), and logs where.
func (p *Page) Screenshot(t testing.TB, name string) {
	t.Helper()
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("SWITCHYARD_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// CheckConsole fails t with each console error and uncaught exception the
// page has had.
func (p *Page) CheckConsole(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		t.Error(e)
	}
}
