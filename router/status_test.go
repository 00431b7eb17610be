package router

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/router/audit"
)

// TestStatusEndpoint: GET /v1/switchyard/status needs the token like the
// rest of /v1/, lists the providers and the last decisions newest first with
// their routes, and never carries the prompt's text.
func TestStatusEndpoint(t *testing.T) {
	const secret = "zebra-quokka-7731 the prompt nobody may see"
	g := newRig(t, func(o *Options) {
		o.AuthToken = "s3cret"
		o.Settings.DefaultPrivacy = policy.Public
	})
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"`+secret+`"}]}`,
		map[string]string{"Authorization": "Bearer s3cret", "X-Switchyard-Files": "3"}).Body.Close()
	private := map[string]string{"Authorization": "Bearer s3cret", "X-Switchyard-Privacy": "private"}
	g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"`+secret+`"}]}`, private).Body.Close()

	g.settle(t)
	get := func(hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("GET", g.srv.URL+"/v1/switchyard/status", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(nil); code != 401 {
		t.Fatalf("without a token: %d, want 401", code)
	}
	code, body := get(auth)
	if code != 200 {
		t.Fatalf("with the token: %d %s", code, body)
	}
	if strings.Contains(body, "zebra-quokka") {
		t.Fatalf("the status carries the prompt's text: %s", body)
	}
	var s status
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Providers) != 3 {
		t.Errorf("%d providers, want 3", len(s.Providers))
	}
	if len(s.Decisions) != 2 {
		t.Fatalf("%d decisions, want 2: %s", len(s.Decisions), body)
	}
	if d := s.Decisions[0]; d.Privacy != "private" || d.Route != "local" || d.Status != 200 {
		t.Errorf("newest decision %+v, want a private job routed local", d)
	}
	if d := s.Decisions[1]; d.Privacy != "public" || d.Route == "" || d.Route == "none" || d.Files != 3 {
		t.Errorf("older decision %+v, want a routed public job of 3 files", d)
	}
}

// TestStatusPage: a browser's GET / gets the HTML page, which loads nothing
// from elsewhere; curl keeps the plain text.
func TestStatusPage(t *testing.T) {
	g := newRig(t, func(o *Options) { o.Version = "9.9.9" })
	for _, c := range []struct{ accept, want, has string }{
		{"text/html,application/xhtml+xml,*/*;q=0.8", "text/html", "/v1/switchyard/status"},
		{"*/*", "text/plain", "switchyard 9.9.9"},
	} {
		req, _ := http.NewRequest("GET", g.srv.URL+"/", nil)
		req.Header.Set("Accept", c.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.want) || !strings.Contains(string(b), c.has) {
			t.Errorf("Accept %q: %s, want %s with %q", c.accept, ct, c.want, c.has)
		}
		// SVG's namespace is a name, never fetched; any other address is
		// something the page would load from elsewhere.
		page := strings.ReplaceAll(string(b), `"http://www.w3.org/2000/svg"`, "")
		if c.want == "text/html" && (strings.Contains(page, "http://") || strings.Contains(page, "https://")) {
			t.Errorf("the page names another site: %s", b)
		}
	}
}

// TestDecisionRing: the ring keeps the last recentDecisions, newest first.
func TestDecisionRing(t *testing.T) {
	var r decisionRing
	if got := r.newestFirst(); len(got) != 0 {
		t.Fatalf("empty ring: %v", got)
	}
	for i := 1; i <= recentDecisions+5; i++ {
		r.add(decision{Prompt: i})
	}
	got := r.newestFirst()
	if len(got) != recentDecisions || got[0].Prompt != recentDecisions+5 || got[len(got)-1].Prompt != 6 {
		t.Fatalf("len %d, first %d, last %d", len(got), got[0].Prompt, got[len(got)-1].Prompt)
	}
}

// TestStatusPrefillChart: the status says, for a local model that learns its
// speed, what it was seen to prefill, the prediction the router uses at
// sizes up to the window, and slow_after: the seed's arithmetic.
func TestStatusPrefillChart(t *testing.T) {
	speed := limits.NewSpeed(400, 30, 0)
	speed.Observe(limits.Observation{Prompt: 146760, PromptDuration: 367 * time.Second})
	g := newRig(t, func(o *Options) { o.Upstreams[0].Speed = speed })
	s := g.status(t)
	if len(s.Prefill) != 1 {
		t.Fatalf("%d charts, want the local model's only: %+v", len(s.Prefill), s.Prefill)
	}
	c := s.Prefill[0]
	if c.Provider != "local" || c.Window != 262144 || c.SlowAfterSeconds != 300 {
		t.Errorf("chart of %s, window %d, slow_after %v s; want local, 262144, 300", c.Provider, c.Window, c.SlowAfterSeconds)
	}
	if len(c.Observed) != 1 || c.Observed[0].Prompt != 146760 || c.Observed[0].Seconds != 367 {
		t.Errorf("observed %+v, want the one prefill", c.Observed)
	}
	if len(c.Predicted) != predictedPoints+1 || c.Predicted[0].Prompt != 0 || c.Predicted[predictedPoints].Prompt != 262144 {
		t.Fatalf("predicted %+v, want %d sizes from 0 to the window", c.Predicted, predictedPoints+1)
	}
	for i, p := range c.Predicted {
		if want := speed.PrefillSeconds(p.Prompt, 0); p.Seconds != want {
			t.Errorf("predicted %d tokens in %v s, the router's speed model says %v", p.Prompt, p.Seconds, want)
		}
		if i > 0 && p.Seconds <= c.Predicted[i-1].Seconds {
			t.Errorf("prediction does not grow with the prompt: %+v", c.Predicted)
		}
	}
}

// TestStatusLogin: with auth on, POST /login with the right token sets a
// cookie (HttpOnly, SameSite=Strict, not the token) that the status endpoint
// accepts and no other /v1/ endpoint does; a wrong token, or a form posted
// from another site's page, sets nothing.
func TestStatusLogin(t *testing.T) {
	g := newRig(t, func(o *Options) { o.AuthToken = "s3cret" })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	noRedirect := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(token, origin string) *http.Response {
		req, _ := http.NewRequest("POST", g.srv.URL+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login("wrong", ""); resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d, cookies %v; want 401 and none", resp.StatusCode, resp.Cookies())
	}
	if resp := login("s3cret", "http://evil.example"); resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Fatalf("from another site: %d, cookies %v; want 403 and none", resp.StatusCode, resp.Cookies())
	}
	resp := login("s3cret", g.srv.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 {
		t.Fatalf("right token: %d to %q, cookies %v; want 303 to / with one", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || strings.Contains(c.Value, "s3cret") {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not the token", c)
	}
	with := func(method, path, body string) int {
		req, _ := http.NewRequest(method, g.srv.URL+path, strings.NewReader(body))
		req.AddCookie(c)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := with("GET", "/v1/switchyard/status", ""); code != 200 {
		t.Errorf("status with the cookie: %d, want 200", code)
	}
	if code := with("POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`); code != 401 {
		t.Errorf("chat with only the cookie: %d, want 401", code)
	}
	forged := *c
	forged.Value = strings.Repeat("0", len(c.Value))
	req, _ := http.NewRequest("GET", g.srv.URL+"/v1/switchyard/status", nil)
	req.AddCookie(&forged)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status with a forged cookie: %d, want 401", resp.StatusCode)
	}
}

// TestStatusSplit: the status says how many jobs and tokens went local and
// to each cloud today and over 7 days, from the egress audit and the tally.
func TestStatusSplit(t *testing.T) {
	dir := t.TempDir()
	egress, _ := audit.Open(filepath.Join(dir, "egress.jsonl"), 0)
	usage, _ := audit.OpenTally(filepath.Join(dir, "usage.jsonl"), 0)
	defer egress.Close()
	defer usage.Close()
	g := newRig(t, func(o *Options) { o.Audit, o.Usage, o.Settings.DefaultPrivacy = egress, usage, policy.Public })
	for _, hdr := range []map[string]string{{"X-Switchyard-Privacy": "private"}, {"X-Switchyard-Privacy": "private"}, {"X-Switchyard-Files": "9"}} {
		r := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, hdr)
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	g.settle(t)
	s := g.status(t)
	if len(s.Split) != 2 || s.Split[0].Period != "today" || s.Split[1].Period != "7d" {
		t.Fatalf("split %+v, want today and 7d", s.Split)
	}
	for _, p := range s.Split {
		jobs := map[string]int{}
		for _, pt := range p.Providers {
			jobs[pt.Provider] = pt.Jobs
		}
		if jobs["local"] != 2 || jobs["devstral"] != 1 || len(jobs) != 2 || p.LocalShare < 0.66 || p.LocalShare > 0.67 {
			t.Errorf("%s: jobs %v, local share %v; want local 2, devstral 1, 2/3", p.Period, jobs, p.LocalShare)
		}
	}
}

// status reads GET /v1/switchyard/status without a token.
func (g *rig) status(t *testing.T) status {
	t.Helper()
	resp, err := http.Get(g.srv.URL + "/v1/switchyard/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStatusDoctor: the status carries doctor's findings as the daemon's
// Findings returns them, each time anew, and nothing without one; the page
// has the section that lists them.
func TestStatusDoctor(t *testing.T) {
	if s := newRig(t, nil).status(t); s.Doctor != nil {
		t.Errorf("no Findings wired, yet the status has a doctor section: %+v", s.Doctor)
	}
	at := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	reports := []DoctorReport{
		{},
		{Time: at, Findings: []Finding{
			{Check: "config", Status: "ok", Message: "/etc/switchyard/switchyard.yaml is valid (2 providers)"},
			{Check: "gemini key", Status: "warn", Message: "GEMINI_API_KEY is not set", Fix: "export GEMINI_API_KEY=<your key>"},
		}},
	}
	calls := 0
	g := newRig(t, func(o *Options) {
		o.Findings = func() DoctorReport { calls++; return reports[min(calls-1, len(reports)-1)] }
	})
	resp, err := http.Get(g.srv.URL + "/v1/switchyard/status")
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Doctor map[string]json.RawMessage `json:"doctor"`
	}
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if _, ok := raw.Doctor["time"]; ok || string(raw.Doctor["findings"]) != "[]" {
		t.Errorf("before doctor has run: %s; want no time and no findings", raw.Doctor)
	}
	s := g.status(t)
	if s.Doctor == nil || !s.Doctor.Time.Equal(at) || len(s.Doctor.Findings) != 2 || s.Doctor.Findings[1] != reports[1].Findings[1] {
		t.Fatalf("doctor %+v, want what Findings returned: %+v", s.Doctor, reports[1])
	}

	req, _ := http.NewRequest("GET", g.srv.URL+"/", nil)
	req.Header.Set("Accept", "text/html")
	page, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, id := range []string{`id="doctor-section"`, `id="doctor"`, `id="doctor-summary"`, "doctor(s.doctor)"} {
		if !strings.Contains(string(b), id) {
			t.Errorf("the page lacks %s", id)
		}
	}
}
