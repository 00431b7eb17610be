package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCrashBetweenAuditAndSend: the egress record is on disk before the
// job is sent, so a crash right after it (no result line, a torn last line)
// still shows the job left, as an unfinished one.
func TestCrashBetweenAuditAndSend(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "egress.jsonl")
	l, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	l.Write(Record{Time: now, Event: EventEgress, RequestID: "req_a", Provider: "gemini", Estimated: 100})
	l.Write(Record{Time: now, Event: EventResult, RequestID: "req_a", Provider: "gemini", Prompt: 110, Completion: 5})
	l.Write(Record{Time: now, Event: EventEgress, RequestID: "req_b", Provider: "devstral", Estimated: 50})
	// The process dies here: no Close, and a half-written line follows.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"` + now.Format(time.RFC3339) + `","event":"resu`)
	f.Close()

	s, err := Summarize(path, "", now.Add(-time.Minute), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if s.Unfinished != 1 || s.Malformed != 1 || len(s.Providers) != 2 {
		t.Fatalf("%+v", s)
	}
	var b strings.Builder
	s.WriteTable(&b)
	if !strings.Contains(b.String(), "1 job(s) left the machine with no recorded result") || !strings.Contains(b.String(), "devstral") {
		t.Errorf("%s", b.String())
	}
	// Reopening appends after the torn line.
	l2, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Write(Record{Time: now, Event: EventEgress, RequestID: "req_c", Provider: "gemini"}); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	s, _ = Summarize(path, "", now.Add(-time.Minute), now.Add(time.Minute))
	if s.Unfinished != 2 || s.Malformed != 1 {
		t.Errorf("the record after the torn line was lost: %+v", s)
	}
}
