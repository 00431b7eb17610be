package main

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
)

// TestBundledModelsCurrent: the bundled configuration names no model id
// the table of retired ids lists, retired or only deprecated, so doctor
// never warns about the defaults.
func TestBundledModelsCurrent(t *testing.T) {
	cfg, err := configs.Read(nil, configs.BuiltIn, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	clouds := 0
	for _, p := range cfg.Providers {
		if p.Kind == configs.KindOllama {
			continue
		}
		clouds++
		if m := retiredModelOf(p.Kind, p.Model); m != nil {
			status, text := m.finding(p.Model, time.Now())
			t.Errorf("%s: %s (%s): configs/switchyard.yaml should name %s", p.Name, text, status, m.replacement)
		}
	}
	if clouds == 0 {
		t.Fatal("the bundled configuration has no cloud provider to check")
	}
}

// TestRetiredReplacementsCurrent: the replacement the table names is not
// itself in the table, or doctor would send people from one retired id to
// another.
func TestRetiredReplacementsCurrent(t *testing.T) {
	for _, m := range retiredModels {
		if r := retiredModelOf(m.kind, m.replacement); r != nil {
			t.Errorf("%s %v: replacement %s is itself retired or deprecated (use %s)", m.kind, m.ids, m.replacement, r.replacement)
		}
		if m.replacement == "" || m.retired.IsZero() || vendors[m.kind] == "" {
			t.Errorf("%s %v: every entry needs a vendor, a retirement date and a replacement", m.kind, m.ids)
		}
	}
}

func TestRetirementFinding(t *testing.T) {
	cases := []struct {
		name, kind, model, now string
		status, text           string
	}{
		{"before-deprecation", configs.KindMistral, "devstral-latest", "2026-05-01", statusWarn, "Mistral retires devstral-latest on 2026-07-31"},
		{"deprecated", configs.KindMistral, "devstral-2512", "2026-06-01", statusWarn, "Mistral retires devstral-2512 on 2026-07-31 (deprecated since 2026-05-22)"},
		{"retired-day", configs.KindMistral, "devstral-medium-latest", "2026-07-31", statusFail, "Mistral retired devstral-medium-latest on 2026-07-31"},
		{"gemini-retired", configs.KindGemini, "gemini-2.5-pro", "2026-12-05", statusFail, "Google retired gemini-2.5-pro on 2026-12-01"},
		{"gemini-before", configs.KindGemini, "gemini-2.5-pro", "2026-11-30", statusWarn, "Google retires gemini-2.5-pro on 2026-12-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := retiredModelOf(c.kind, c.model)
			if m == nil {
				t.Fatalf("%s %s is not in the table", c.kind, c.model)
			}
			status, text := m.finding(c.model, day(c.now))
			if status != c.status || text != c.text {
				t.Errorf("got %s %q, want %s %q", status, text, c.status, c.text)
			}
		})
	}
	// The same id under another kind is another model.
	if retiredModelOf(configs.KindOpenAI, "devstral-latest") != nil || retiredModelOf(configs.KindMistral, "mistral-medium-3-5") != nil {
		t.Error("the table matched an id it does not list for that kind")
	}
}
