// Package policy decides where a chat job may run and in what order.
//
// It is pure: features in, decision out. It does no I/O, imports no
// net/http and never logs, so every rule is a table test. The HTTP layer
// gathers the features (reads policy files, counts tokens, scans for
// credentials) and executes the plan.
package policy
