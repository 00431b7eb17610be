package realollama

import "testing"

// TestMain runs through Main so the integration tests' servers share one
// model store that is removed at exit. fakeServeMain turns the test binary
// into a stand-in for `ollama serve` when process_test.go asks for one.
func TestMain(m *testing.M) {
	fakeServeMain()
	Main(m)
}
