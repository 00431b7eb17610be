package router

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/router/audit"
	"github.com/switchyard/switchyard/router/metrics"
)

func readRecords(t *testing.T, path string) []audit.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestAuditOnlyEgress sends a mix of private and public jobs; the egress log
// holds exactly the public ones that went to the cloud, each written before
// its result, and never a prompt.
func TestAuditOnlyEgress(t *testing.T) {
	dir := t.TempDir()
	egress, _ := audit.Open(filepath.Join(dir, "egress.jsonl"), 0)
	usage, _ := audit.Open(filepath.Join(dir, "usage.jsonl"), 0)
	defer egress.Close()
	defer usage.Close()
	m := metrics.New()
	g := newRig(t, func(o *Options) { o.Audit, o.Usage, o.Metrics = egress, usage, m })
	secret := "the-secret-prompt-text-42"
	private := `{"messages":[{"role":"user","content":"` + secret + `"}]}`
	public := `{"model":"gemini","messages":[{"role":"user","content":"` + secret + `"}]}`
	for i := 0; i < 3; i++ {
		if r := g.post(t, "/v1/chat/completions", private, nil); r.StatusCode != 200 {
			t.Fatalf("private: %d", r.StatusCode)
		}
	}
	for i := 0; i < 2; i++ {
		r := g.post(t, "/v1/chat/completions", public, map[string]string{"X-Switchyard-Repo": "/nonexistent/pub"})
		io.Copy(io.Discard, r.Body)
		if r.StatusCode != 403 {
			t.Fatalf("public pin without a public repo should be refused: %d", r.StatusCode)
		}
	}
	g.rt.opts.Settings.DefaultPrivacy = policy.Public
	for i := 0; i < 2; i++ {
		if r := g.post(t, "/v1/chat/completions", public, nil); r.StatusCode != 200 {
			t.Fatalf("public: %d", r.StatusCode)
		}
	}
	g.settle(t)
	recs := readRecords(t, egress.Path())
	if len(recs) != 4 {
		t.Fatalf("%d egress records: %+v", len(recs), recs)
	}
	// Each job's egress record comes before its result; jobs' records may
	// interleave (a result is written once the answer has left).
	events := map[string][]string{}
	for i, r := range recs {
		events[r.RequestID] = append(events[r.RequestID], r.Event)
		if r.Provider != "gemini" || r.RequestID == "" {
			t.Errorf("record %d: %+v", i, r)
		}
		if r.Event == audit.EventEgress && (r.Privacy != "public" || r.Estimated == 0 || len(r.Reasons) == 0) {
			t.Errorf("egress record %+v", r)
		}
	}
	if len(events) != 2 {
		t.Errorf("records of %d jobs, want 2: %v", len(events), events)
	}
	for id, ev := range events {
		if len(ev) != 2 || ev[0] != audit.EventEgress || ev[1] != audit.EventResult {
			t.Errorf("job %s: records %v, want egress then result", id, ev)
		}
	}
	raw, _ := os.ReadFile(egress.Path())
	if strings.Contains(string(raw), secret) {
		t.Error("prompt content in the egress log")
	}
	s, err := audit.Summarize(egress.Path(), usage.Path(), recs[0].Time.Add(-1e9), recs[3].Time.Add(1e9))
	if err != nil || s.LocalShare != 0.6 || s.Unfinished != 0 {
		t.Errorf("summary %+v %v", s, err)
	}

	resp, _ := http.Get(g.srv.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`switchyard_egress_jobs_total{provider="gemini"} 2`,
		`switchyard_requests_total{reason="private",route="local",status="200"} 3`,
		`switchyard_requests_total{reason="privacy_policy",route="none",status="403"} 2`,
		`switchyard_prompt_tokens_total{provider="local"} 36`,
		`switchyard_time_to_first_byte_seconds_count{provider="gemini"} 2`,
		`switchyard_in_flight_requests 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestAuditUnwritableFailsClosed: a job whose egress cannot be recorded is
// not sent to the cloud.
func TestAuditUnwritableFailsClosed(t *testing.T) {
	egress, _ := audit.Open(filepath.Join(t.TempDir(), "egress.jsonl"), 0)
	egress.Close()
	g := newRig(t, func(o *Options) { o.Audit = egress; o.Settings.DefaultPrivacy = policy.Public })
	r := g.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, map[string]string{"X-Switchyard-Files": "9"})
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || r.Header.Get("X-Switchyard-Route") != "local" || !strings.Contains(r.Header.Get("X-Switchyard-Fallback"), "audit log") {
		t.Errorf("%d route %s fallback %q %s", r.StatusCode, r.Header.Get("X-Switchyard-Route"), r.Header.Get("X-Switchyard-Fallback"), body)
	}
	if g.devstral.requests()+g.gemini.requests() != 0 {
		t.Error("a job whose egress could not be recorded was sent")
	}
}

func TestAuditRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "egress.jsonl")
	l, _ := audit.Open(path, 300)
	for i := 0; i < 20; i++ {
		if err := l.Write(audit.Record{Event: audit.EventEgress, Provider: "gemini", RequestID: "req_x"}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files := audit.Files(path)
	if len(files) < 3 || files[len(files)-1] != path {
		t.Errorf("files %v", files)
	}
	for _, f := range files {
		if st, _ := os.Stat(f); st.Size() > 300 {
			t.Errorf("%s is %d bytes", f, st.Size())
		}
	}
}
