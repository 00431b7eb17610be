package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/router"
)

// quickDoctor makes the daemon's doctor run every few hundred
// milliseconds until the test ends.
func quickDoctor(t *testing.T) {
	every, soon := doctorEvery, doctorSoon
	doctorEvery, doctorSoon = 300*time.Millisecond, 100*time.Millisecond
	t.Cleanup(func() { doctorEvery, doctorSoon = every, soon })
}

// doctorOf is the doctor section of the daemon's status, and the status's
// whole body.
func doctorOf(t *testing.T, url string) (router.DoctorReport, string) {
	t.Helper()
	resp, err := http.Get(url + "/v1/switchyard/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var s struct {
		Doctor *router.DoctorReport `json:"doctor"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Doctor == nil {
		t.Fatalf("status without a doctor section (%v): %s", err, b)
	}
	return *s.Doctor, string(b)
}

// findingOf is the report's finding of check; ok is false without one.
func findingOf(d router.DoctorReport, check string) (f router.Finding, ok bool) {
	for _, f := range d.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return router.Finding{}, false
}

// waitDoctor polls the daemon's doctor until done says its report is what
// the test waits for, and returns that report; what, for the failure, says
// what that is.
func waitDoctor(t *testing.T, url, what string, done func(router.DoctorReport) bool) router.DoctorReport {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, body := doctorOf(t, url)
		if done(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("doctor never found %s: %s", what, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seedFakes starts the seed's fake Ollama and fake Mistral and Gemini
// servers, closed when the test ends.
func seedFakes(t *testing.T) (*ollamafake.Server, *httptest.Server, *mistralfake.Server, *geminifake.Server) {
	t.Helper()
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	ms := mistralfake.Start(mistralfake.Options{})
	t.Cleanup(ms.Close)
	gs := geminifake.New(geminifake.Options{Models: []string{"gemini-3.8-flash"}})
	t.Cleanup(gs.Close)
	return fake, up, ms, gs
}

// TestDaemonDoctor: the daemon checks the app that serves in the
// background and the status carries what it found: the seed's window
// label, a cloud key set and one missing (never a key's value), a policy
// file a request led it to; after a reload, the new configuration's
// findings, and a refused reload fails the config check. No request reaches
// a cloud all the while: that check is switchyard doctor's alone.
func TestDaemonDoctor(t *testing.T) {
	quickDoctor(t)
	fake, up, ms, gs := seedFakes(t)
	dir := t.TempDir()
	cfg := seedConfig(t, dir, up.URL)
	cfg.Providers = append(cfg.Providers,
		cloudProvider("devstral", configs.KindMistral, ms.URL, "mistral-medium-3-5", "DOCTOR_MISTRAL_KEY", 262144),
		cloudProvider("gemini", configs.KindGemini, gs.URL, "gemini-3.8-flash", "DOCTOR_GEMINI_KEY", 1048576),
		cloudProvider("gemini-unkeyed", configs.KindGemini, gs.URL, "gemini-3.8-flash", "DOCTOR_UNSET_KEY", 1048576))
	env := map[string]string{"DOCTOR_MISTRAL_KEY": mistralfake.DefaultAPIKey, "DOCTOR_GEMINI_KEY": "fake-key"}
	path := writeConfigOf(t, dir, cfg)
	g := runServe(t, fake, cfg.Listen, dir, path, env)

	d := waitDoctor(t, g.url, "the local model's window", func(d router.DoctorReport) bool { _, ok := findingOf(d, "local window"); return ok })
	_, body := doctorOf(t, g.url)
	for _, key := range []string{mistralfake.DefaultAPIKey, "fake-key"} {
		if strings.Contains(body, key) {
			t.Errorf("the status carries a key's value: %s", body)
		}
	}
	for _, c := range []struct{ check, status, has, fix string }{
		{"config", "ok", path + " is valid (4 providers)", ""},
		{"local ollama", "ok", "at " + up.URL + " answered", ""},
		{"local window", "warn", "model definition caps num_ctx at 131072; the model supports 262144; switchyard sends num_ctx=262144", "remove PARAMETER num_ctx"},
		{"local slow_after", "warn", "over slow_after (5m0s)", "raise slow_after in provider local"},
		{"devstral key", "ok", "DOCTOR_MISTRAL_KEY is set", ""},
		{"gemini key", "ok", "DOCTOR_GEMINI_KEY is set", ""},
		{"gemini-unkeyed key", "warn", "DOCTOR_UNSET_KEY is not set", "export DOCTOR_UNSET_KEY=<your key>"},
	} {
		f, ok := findingOf(d, c.check)
		if !ok || f.Status != c.status || !strings.Contains(f.Message, c.has) || !strings.Contains(f.Fix, c.fix) {
			t.Errorf("%s: %+v (found: %v); want %s, %q, fix %q", c.check, f, ok, c.status, c.has, c.fix)
		}
	}

	// A job names a repository whose policy file is broken: the daemon's
	// store has seen it, and so has its doctor.
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: sometimes\n"), 0o600)
	explainVia(t, g.url, hello, map[string]string{"X-Switchyard-Repo": repo})
	policyCheck := "policy " + filepath.Join(repo, ".switchyard.yaml")
	waitDoctor(t, g.url, "the broken policy file", func(d router.DoctorReport) bool {
		f, ok := findingOf(d, policyCheck)
		return ok && f.Status == "fail" && f.Fix != ""
	})

	// A reload: the unkeyed provider is gone, the daemon says so.
	cfg.Providers = cfg.Providers[:3]
	os.WriteFile(path, []byte(configYAML(t, cfg)), 0o600)
	waitDoctor(t, g.url, "the reloaded configuration", func(d router.DoctorReport) bool {
		f, _ := findingOf(d, "config")
		_, unkeyed := findingOf(d, "gemini-unkeyed key")
		return !unkeyed && strings.Contains(f.Message, "(3 providers)")
	})
	// A refused one fails the config check, with the reason.
	time.Sleep(10 * time.Millisecond)
	cfg.Policy.DefaultPrivacy = "sometimes"
	os.WriteFile(path, []byte(configYAML(t, cfg)), 0o600)
	d = waitDoctor(t, g.url, "the refused reload", func(d router.DoctorReport) bool {
		f, _ := findingOf(d, "config")
		return f.Status == "fail"
	})
	if f, _ := findingOf(d, "config"); !strings.Contains(f.Message, "policy.default_privacy") || f.Fix == "" {
		t.Errorf("refused reload: %+v; want the reason and a fix", f)
	}
	if f, ok := findingOf(d, "devstral key"); !ok || f.Status != "ok" {
		t.Errorf("after a refused reload the serving configuration's checks go on: %+v", d.Findings)
	}

	if n, m := len(ms.Requests()), len(gs.Requests()); n != 0 || m != 0 {
		t.Errorf("the daemon's doctor sent %d requests to Mistral and %d to Gemini; want none", n, m)
	}
}

// TestDaemonDoctorEngines: the daemon's doctor says what each local
// OpenAI-compatible engine without context_window said of its window, as
// switchyard doctor does, from what the serving app learnt: it asks an
// engine that has said nothing only as routing would, and one that has
// said it not at all. Until an engine says, the check fails and the run is
// pending; an engine with a configured window is not checked.
func TestDaemonDoctorEngines(t *testing.T) {
	llama := openaifake.New("qwen3-coder").LlamaCpp(32768, 262144)
	var asked atomic.Int32
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			asked.Add(1)
		}
		llama.ServeHTTP(w, r)
	}))
	defer engine.Close()
	bare := httptest.NewServer(openaifake.New("qwen3-coder"))
	defer bare.Close()
	entry := func(name, url, more string) string {
		return "  - name: " + name + "\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + url + "/v1\n" + more
	}
	a := buildYAML(t, "providers:\n"+entry("engine", engine.URL, "")+entry("studio", bare.URL, "")+
		entry("fixed", "http://127.0.0.1:1", "    context_window: 8192\n"))
	none := func(string) (string, bool) { return "", false }

	r, pending := doctorLive(a, none, "", time.Now())
	d := toReport(r)
	if f, ok := findingOf(d, "engine window"); !ok || f.Status != "ok" || f.Message != "engine says a request may use 32768 tokens (the model was trained for 262144)" {
		t.Errorf("engine window: %+v (found: %v)", f, ok)
	}
	if f, ok := findingOf(d, "studio window"); !ok || f.Status != "fail" || !strings.Contains(f.Message, "does not say its window") || f.Fix == "" || !pending {
		t.Errorf("studio window: %+v (found: %v), pending %v; want a failure with a fix, pending", f, ok, pending)
	}
	if f, ok := findingOf(d, "fixed window"); ok {
		t.Errorf("an engine with context_window was checked: %+v", f)
	}
	// The engine has said its window: the next run asks it nothing.
	before := asked.Load()
	r, _ = doctorLive(a, none, "", time.Now())
	if f, ok := findingOf(toReport(r), "engine window"); !ok || f.Status != "ok" || asked.Load() != before {
		t.Errorf("second run: %+v; the engine was asked %d more times", f, asked.Load()-before)
	}
}

// toReport is r as the status page carries it.
func toReport(r *report) router.DoctorReport {
	l := newLiveDoctor()
	l.set(r, time.Now())
	return l.Report()
}
