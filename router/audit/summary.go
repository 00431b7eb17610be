package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// ProviderTotals is one provider's share of a period.
type ProviderTotals struct {
	Provider   string `json:"provider"`
	Local      bool   `json:"local"`
	Jobs       int    `json:"jobs"`
	Estimated  int    `json:"estimated_prompt_tokens"`
	Prompt     int    `json:"prompt_tokens"`
	Completion int    `json:"completion_tokens"`
}

// Summary is a period's jobs and tokens per provider.
type Summary struct {
	Since, Until time.Time
	Providers    []ProviderTotals
	// LocalShare is the fraction of jobs served locally.
	LocalShare float64
	// Unfinished counts egress records with no result (a crash, or a
	// request still running).
	Unfinished int
	// Malformed counts lines that could not be read.
	Malformed int
}

// Summarize reads egress and usage logs (each with its rotated files) and
// totals the records in [since, until).
func Summarize(egressPath, usagePath string, since, until time.Time) (Summary, error) {
	s := Summary{Since: since, Until: until}
	by := map[string]*ProviderTotals{}
	pending := map[string]bool{}
	get := func(name string, local bool) *ProviderTotals {
		t := by[name]
		if t == nil {
			t = &ProviderTotals{Provider: name, Local: local}
			by[name] = t
		}
		return t
	}
	visit := func(r Record) {
		if r.Time.Before(since) || !r.Time.Before(until) {
			return
		}
		switch r.Event {
		case EventEgress:
			t := get(r.Provider, false)
			t.Jobs++
			t.Estimated += r.Estimated
			pending[r.RequestID+"\x00"+r.Provider] = true
		case EventResult:
			t := get(r.Provider, false)
			t.Prompt += r.Prompt
			t.Completion += r.Completion
			delete(pending, r.RequestID+"\x00"+r.Provider)
		case EventLocal:
			t := get(r.Provider, true)
			t.Jobs++
			t.Estimated += r.Estimated
			t.Prompt += r.Prompt
			t.Completion += r.Completion
		}
	}
	for _, path := range []string{egressPath, usagePath} {
		if path == "" {
			continue
		}
		for _, f := range Files(path) {
			if err := readFile(f, visit, &s.Malformed); err != nil {
				return s, err
			}
		}
	}
	s.Unfinished = len(pending)
	local, all := 0, 0
	for _, t := range by {
		s.Providers = append(s.Providers, *t)
		all += t.Jobs
		if t.Local {
			local += t.Jobs
		}
	}
	sort.Slice(s.Providers, func(i, j int) bool {
		if s.Providers[i].Local != s.Providers[j].Local {
			return s.Providers[i].Local
		}
		return s.Providers[i].Provider < s.Providers[j].Provider
	})
	if all > 0 {
		s.LocalShare = float64(local) / float64(all)
	}
	return s, nil
}

func readFile(path string, visit func(Record), malformed *int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			*malformed++ // a torn last line after a crash
			continue
		}
		visit(r)
	}
	return sc.Err()
}

// WriteTable prints the summary as a table.
func (s Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "period: %s to %s\n\n", s.Since.Format(time.RFC3339), s.Until.Format(time.RFC3339))
	fmt.Fprintf(w, "%-14s %-6s %8s %14s %14s %14s\n", "provider", "where", "jobs", "est. prompt", "prompt", "completion")
	fmt.Fprintln(w, strings.Repeat("-", 75))
	var jobs, est, prompt, comp int
	for _, t := range s.Providers {
		where := "cloud"
		if t.Local {
			where = "local"
		}
		fmt.Fprintf(w, "%-14s %-6s %8d %14d %14d %14d\n", t.Provider, where, t.Jobs, t.Estimated, t.Prompt, t.Completion)
		jobs, est, prompt, comp = jobs+t.Jobs, est+t.Estimated, prompt+t.Prompt, comp+t.Completion
	}
	fmt.Fprintln(w, strings.Repeat("-", 75))
	fmt.Fprintf(w, "%-14s %-6s %8d %14d %14d %14d\n", "total", "", jobs, est, prompt, comp)
	fmt.Fprintf(w, "\nlocal share: %.0f%% of jobs stayed on this machine (%.0f%% went to the cloud)\n", s.LocalShare*100, (1-s.LocalShare)*100)
	if s.Unfinished > 0 {
		fmt.Fprintf(w, "%d job(s) left the machine with no recorded result (still running, or switchyard stopped mid-answer)\n", s.Unfinished)
	}
	if s.Malformed > 0 {
		fmt.Fprintf(w, "%d unreadable line(s) skipped\n", s.Malformed)
	}
}
