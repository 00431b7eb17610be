package policy

import "fmt"

// Privacy says whether a job may leave the machine.
type Privacy string

// The two privacies. The zero value is not valid; callers that cannot tell
// must use Private.
const (
	Private Privacy = "private"
	Public  Privacy = "public"
)

// ParsePrivacy reads "private" or "public".
func ParsePrivacy(s string) (Privacy, error) {
	switch Privacy(s) {
	case Private, Public:
		return Privacy(s), nil
	}
	return "", fmt.Errorf("privacy must be %q or %q, not %q", Private, Public, s)
}

// Stricter returns the more restrictive of a and b. Anything that is not
// exactly Public counts as Private, so a zero value can never loosen.
func Stricter(a, b Privacy) Privacy {
	if a == Public && b == Public {
		return Public
	}
	return Private
}
