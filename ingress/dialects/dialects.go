// Package dialects lists every ingress dialect switchyard serves, so the
// daemon, the bench and the conformance suites mount the same set.
package dialects

import (
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/anthropic"
	"github.com/switchyard/switchyard/ingress/gemini"
	"github.com/switchyard/switchyard/ingress/openaichat"
	"github.com/switchyard/switchyard/ingress/responses"
)

// All returns the dialects in the order their routes are mounted: new
// ones each call, since a dialect may hold state (the Responses store).
func All() []ingress.Dialect {
	return []ingress.Dialect{openaichat.Dialect{}, anthropic.Dialect{}, responses.New(), gemini.Dialect{}}
}
