package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDirective(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":"#s000042 local=503 devstral=429once please gemini=503"}]}`)
	for provider, want := range map[string]string{"local": "503", "devstral": "429once", "gemini": "503", "dead": ""} {
		if got := directive(body, provider); got != want {
			t.Errorf("%s: %q, want %q", provider, got, want)
		}
	}
	if got := directive([]byte(`"text":"#s1 local=cut"}`), "local"); got != "cut" {
		t.Errorf("at the end of a JSON string: %q", got)
	}
	if m := tagPattern.FindSubmatch(body); m == nil || string(m[1]) != "s000042" {
		t.Errorf("tag %q", m)
	}
}

func TestClassifyError(t *testing.T) {
	private503 := scenario{name: "private, local 503", mayFail: true}
	publicCut := scenario{name: "public, local cut mid-stream", mayCutStream: true}
	healthy := scenario{name: "public, healthy"}
	for _, c := range []struct {
		sc   scenario
		code string
		cut  bool
		want string
	}{
		{private503, "upstream_error", false, "expected"},
		{private503, "upstream_timeout", false, "expected"},
		{private503, "invalid_request", false, "switchyard"},
		{healthy, "upstream_error", false, "switchyard"},
		{publicCut, "cut", true, "expected"},
		{healthy, "cut", true, "switchyard"},
		{publicCut, "upstream_error", false, "switchyard"},
	} {
		if got, cause, _ := classifyError(c.sc, c.code, "msg", c.cut); got != c.want {
			t.Errorf("%s / %s / cut %v: %s (%s), want %s", c.sc.name, c.code, c.cut, got, cause, c.want)
		}
	}
}

// TestTeeRecordsBeforeTheFinalLine checks that what the fake streamed is
// on record before the client can have the final line.
func TestTeeRecordsBeforeTheFinalLine(t *testing.T) {
	sent := &sync.Map{}
	rec := httptest.NewRecorder()
	tw := &teeWriter{ResponseWriter: &recordCheck{ResponseRecorder: rec, sent: sent, t: t}, tag: "c7", sent: sent}
	lines := `{"message":{"role":"assistant","content":"You "},"done":false}` + "\n" +
		`{"message":{"role":"assistant","content":"said"},"done":false}` + "\n" +
		`{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}` + "\n"
	// Written in pieces that split lines, as a network write may.
	for _, piece := range []string{lines[:10], lines[10:70], lines[70:]} {
		tw.Write([]byte(piece))
	}
	if v, ok := sent.Load("c7"); !ok || v != "You said" {
		t.Errorf("recorded %q %v", v, ok)
	}
	if rec.Body.String() != lines {
		t.Errorf("passed on %q", rec.Body)
	}
}

// recordCheck fails the test if the final line reaches the client before
// the content is on record.
type recordCheck struct {
	*httptest.ResponseRecorder
	sent *sync.Map
	t    *testing.T
}

func (r *recordCheck) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"done":true`)) {
		if _, ok := r.sent.Load("c7"); !ok {
			r.t.Error("the final line went out before the record")
		}
	}
	return r.ResponseRecorder.Write(p)
}

func TestOllamaFailures(t *testing.T) {
	in := &injections{}
	f := newOllamaFailures(benchOptions(), in)
	for _, c := range []struct {
		body   string
		status int
		taken  bool
	}{
		{`{"messages":[{"content":"#s1 please"}]}`, 0, false},
		{`{"messages":[{"content":"#s1 local=503"}]}`, http.StatusServiceUnavailable, true},
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(c.body))
		if got := f.intercept(rec, r, []byte(c.body)); got != c.taken || (c.taken && rec.Code != c.status) {
			t.Errorf("%s: taken %v status %d", c.body, got, rec.Code)
		}
	}
	// silent holds the request until the client gives up.
	ctxReq := httptest.NewRequest(http.MethodPost, "/api/chat", nil)
	// It must return because the client's context ended, not on a
	// clock of its own: asking whether 50 ms had passed since a moment after
	// the context's timer began, and flaked.
	ctx, cancel := contextWithTimeout(50 * time.Millisecond)
	defer cancel()
	f.intercept(httptest.NewRecorder(), ctxReq.WithContext(ctx), []byte(`"#s2 local=silent"`))
	if ctx.Err() == nil {
		t.Error("silent answered before the client gave up")
	}
	if got := in.counts(); got["local=503"] != 1 || got["local=silent"] != 1 {
		t.Errorf("counted %v", got)
	}
}

func TestPlannedNamesTheCoolDown(t *testing.T) {
	sc := scenario{name: "public heavy, clouds 503", answer: "local"}
	h := http.Header{"X-Switchyard-Plan": {"devstral,gemini"}}
	if got := planned(sc, h, "switchyard", "upstream_error where a provider could answer"); !strings.HasPrefix(got, "cool-down") {
		t.Errorf("plan without local: %q", got)
	}
	h.Set("X-Switchyard-Plan", "devstral,gemini,local")
	if got := planned(sc, h, "switchyard", "x"); got != "x" {
		t.Errorf("plan with local: %q", got)
	}
	if got := planned(sc, h, "expected", "y"); got != "y" {
		t.Errorf("expected error: %q", got)
	}
}
