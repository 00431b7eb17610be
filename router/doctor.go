package router

import "time"

// Finding is one of doctor's checks as the status page shows it. It names a
// key's variable at most, never its value, and never any prompt's text.
type Finding struct {
	Check string `json:"check"`
	// Status is ok, warn or fail.
	Status  string `json:"status"`
	Message string `json:"message"`
	// Fix says what to do about a finding that is not ok.
	Fix string `json:"fix,omitempty"`
}

// DoctorReport is what doctor last found about the configuration that
// serves, and when.
type DoctorReport struct {
	// Time is when the checks ran; zero before they first have.
	Time     time.Time `json:"time,omitzero"`
	Findings []Finding `json:"findings"`
}

// doctor is the status's doctor section; nil without Options.Findings.
func (rt *Router) doctor() *DoctorReport {
	if rt.opts.Findings == nil {
		return nil
	}
	d := rt.opts.Findings()
	if d.Findings == nil {
		d.Findings = []Finding{}
	}
	return &d
}
