// Package secrets finds credentials in prompt text so that a job carrying one
// never leaves the machine. It only detects; policy.secrets in the config
// (local | refuse | ignore) decides what happens.
//
// The package is pure: no I/O, no logging, no goroutines. Findings name a
// kind and a byte range, never the secret itself, so they are safe to log
// and to put in the audit trail.
//
// # How it scans
//
// Every detector is anchored: it looks for a literal that a credential must
// contain (a vendor prefix such as "ghp_", "-----BEGIN ", "eyJ", "://", or
// the '=' and ':' of an assignment) with strings.Index / strings.IndexByte,
// which are vectorised, and then checks a bounded window around each hit by
// hand. No regular expression runs over the whole text and no check looks
// further than a fixed distance, so a scan is linear in the text and stays
// well above 100 MB/s (see BenchmarkScanSamples).
//
// # What counts
//
// Vendor tokens are recognised by their published shape (each rule cites
// its source in tokens.go). A token must look random (enough distinct
// characters, not a run of words) but need not be valid: the detector never
// checks a checksum and accepts documented example keys such as AWS's
// AKIAIOSFODNN7EXAMPLE, because a prompt that pastes a key-shaped string out
// of a config file is exactly the case to catch.
//
// Labelled values (password=, api_key:, token =, Authorization: Bearer …)
// have no fixed shape, so they count only when the value is a literal (not
// a variable, call, template or placeholder) and has high Shannon entropy
// for its length; see value.go.
//
// Deliberately not detected: Stripe test-mode keys (sk_test_, rk_test_) and
// publishable keys (pk_…), which Stripe documents as safe to expose (pk_) or
// limited to simulated test data (sk_test_), and which fill every Stripe
// tutorial; Mistral keys, which are 32 unprefixed alphanumerics with no shape
// of their own and are caught only when labelled (MISTRAL_API_KEY=…).
package secrets
