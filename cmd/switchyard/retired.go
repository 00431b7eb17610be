package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/switchyard/switchyard/configs"
)

// retiredModel is a cloud model id its vendor has retired, or deprecated
// with a date to retire it. doctor reads this table before it asks the
// vendor, so it can say so without a key and without the network, and the
// bundled configuration is tested against it (TestBundledModelsCurrent).
type retiredModel struct {
	kind string
	// ids are the model's id and every alias that named it.
	ids []string
	// deprecated is when the vendor announced the retirement (zero if it
	// gave no date); retired is when the id stops answering.
	deprecated, retired time.Time
	// replacement is the id to move to.
	replacement string
}

// retiredModels is the one list of retired and deprecated cloud model ids.
//
// Mistral: docs.mistral.ai/models/overview, "Legacy models"
// (mistralai/platform-docs-public src/schema/models/models/*.ts,
// metadata.deprecationDate and retirementDate, as of its commit 222f4ba of
// 2026-08-21), read 2026-12-05. Mistral names "Mistral Medium 3.5"
// (mistral-medium-3-5) as the replacement of every Devstral.
//
// Gemini: ai.google.dev/gemini-api/docs/deprecations and
// ai.google.dev/gemini-api/docs/changelog, read 2026-12-05: gemini-2.5-pro
// and gemini-2.5-flash shut down on 2026-12-01 (their requests are routed
// to gemini-3.8-flash and gemini-3.5-flash-lite and billed as those),
// gemini-3.5-flash and gemini-3.7-flash on 2026-10-08, gemini-2.0-flash on
// 2026-06-01, gemini-3-pro-preview on 2026-03-09, the 2.5 Pro previews on
// 2025-12-02.
var retiredModels = []retiredModel{
	{configs.KindMistral, []string{"devstral-2512", "devstral-latest", "devstral-medium-latest"}, day("2026-05-22"), day("2026-07-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"devstral-medium-2507"}, day("2026-02-27"), day("2026-05-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"devstral-small-2507"}, day("2026-02-27"), day("2026-05-31"), "mistral-small-2603"},
	{configs.KindMistral, []string{"labs-devstral-small-2512", "devstral-small-latest"}, day("2026-02-27"), day("2026-03-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"devstral-small-2505"}, day("2025-10-31"), day("2025-11-30"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"codestral-2501"}, day("2025-11-06"), day("2025-11-30"), "codestral-2508"},
	{configs.KindMistral, []string{"magistral-medium-2509", "magistral-medium-latest"}, day("2026-05-22"), day("2026-07-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"mistral-medium-2508", "mistral-medium-2505"}, day("2026-05-22"), day("2026-08-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"mistral-large-2411"}, day("2026-02-27"), day("2026-05-31"), "mistral-medium-3-5"},
	{configs.KindMistral, []string{"mistral-small-2506"}, day("2026-04-30"), day("2026-07-31"), "mistral-small-2603"},

	{configs.KindGemini, []string{"gemini-2.5-pro"}, time.Time{}, day("2026-12-01"), "gemini-3.8-flash"},
	{configs.KindGemini, []string{"gemini-2.5-flash"}, time.Time{}, day("2026-12-01"), "gemini-3.5-flash-lite"},
	{configs.KindGemini, []string{"gemini-3.7-flash"}, time.Time{}, day("2026-10-08"), "gemini-3.8-flash"},
	{configs.KindGemini, []string{"gemini-3.5-flash"}, time.Time{}, day("2026-10-08"), "gemini-3.6-flash"},
	{configs.KindGemini, []string{"gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001"}, time.Time{}, day("2026-06-01"), "gemini-3.1-flash-lite"},
	{configs.KindGemini, []string{"gemini-3-pro-preview"}, time.Time{}, day("2026-03-09"), "gemini-3.1-pro-preview"},
	{configs.KindGemini, []string{"gemini-2.5-pro-preview-03-25", "gemini-2.5-pro-preview-05-06", "gemini-2.5-pro-preview-06-05"}, time.Time{}, day("2025-12-02"), "gemini-3.1-pro-preview"},
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// vendors name the kinds' vendors in doctor's findings.
var vendors = map[string]string{configs.KindMistral: "Mistral", configs.KindGemini: "Google"}

// retiredModelOf is the table's entry for a provider's model, nil when the
// table does not list it.
func retiredModelOf(kind, model string) *retiredModel {
	for i := range retiredModels {
		if m := &retiredModels[i]; m.kind == kind && slices.Contains(m.ids, model) {
			return m
		}
	}
	return nil
}

// finding is doctor's finding for model at now: it fails once the id is
// retired, and warns before.
func (m *retiredModel) finding(model string, now time.Time) (status, text string) {
	if !now.Before(m.retired) {
		return statusFail, fmt.Sprintf("%s retired %s on %s", vendors[m.kind], model, m.retired.Format(time.DateOnly))
	}
	text = fmt.Sprintf("%s retires %s on %s", vendors[m.kind], model, m.retired.Format(time.DateOnly))
	if !m.deprecated.IsZero() && !now.Before(m.deprecated) {
		text += fmt.Sprintf(" (deprecated since %s)", m.deprecated.Format(time.DateOnly))
	}
	return statusWarn, text
}
