package router

import (
	"testing"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
)

// A policy refusal's code is written as it is, so policy and ingress must
// spell the contract's codes alike; a dialect maps them by ingress's names.
func TestRefusalCodesAreIngressCodes(t *testing.T) {
	for _, c := range []struct{ policy, ingress string }{
		{policy.CodeContextLength, ingress.CodeContextLength},
		{policy.CodePrivacy, ingress.CodePrivacy},
		{policy.CodeUnavailable, ingress.CodeUnavailable},
	} {
		if c.policy != c.ingress {
			t.Errorf("policy says %q, ingress %q", c.policy, c.ingress)
		}
		e := refusalError(&policy.Refusal{Code: c.policy, Message: "m"})
		if e.Code != c.ingress || e.Status < 400 {
			t.Errorf("%s refused as %d %s", c.policy, e.Status, e.Code)
		}
	}
}

func TestRefusalKeepsNumbers(t *testing.T) {
	e := refusalError(&policy.Refusal{Code: policy.CodeContextLength, Message: "m", Tokens: 300000, Output: 8192, Limit: 262144})
	if e.Tokens != 300000 || e.Output != 8192 || e.Limit != 262144 {
		t.Errorf("%+v", e)
	}
}
