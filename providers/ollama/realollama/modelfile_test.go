package realollama

import (
	"strings"
	"testing"
)

func TestModelfile(t *testing.T) {
	mf, err := modelfile("/tmp/model dir")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(mf, "\n")
	if lines[0] != "FROM /tmp/model dir" {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(mf, "TEMPLATE \"\"\""+ChatTemplate+"\"\"\"\n") {
		t.Error("TEMPLATE block is not ChatTemplate verbatim")
	}
	if strings.Count(mf, "PARAMETER num_ctx ") != 1 || !strings.Contains(mf, "\nPARAMETER num_ctx 131072\n") {
		t.Error("want exactly one PARAMETER num_ctx 131072")
	}
	if _, err := modelfile("/tmp/evil\nPARAMETER num_ctx 1"); err == nil {
		t.Error("a directory with a newline was accepted")
	}
}
