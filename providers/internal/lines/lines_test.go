package lines

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// TestSaysBeforeWaiting: BeforeWait runs before a read that may
// block (no whole line buffered), and not while whole lines are waiting in
// the buffer.
func TestSaysBeforeWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	l := New(pr)
	waits := 0
	l.BeforeWait = func() { waits++ }
	go func() {
		pw.Write([]byte("{\"a\":1}\n{\"b\":2}\n{\"c\""))
		pw.Write([]byte(":3}\n"))
		pw.Close()
	}()
	var lines []string
	var want []int
	for {
		line, _, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(line))
		want = append(want, waits)
	}
	if strings.Join(lines, " ") != `{"a":1} {"b":2} {"c":3}` {
		t.Errorf("lines %q", lines)
	}
	// Before a: nothing buffered. Before b: b is buffered. Before c: only
	// part of it is. Before EOF: nothing.
	if !slices.Equal(want, []int{1, 1, 2}) || waits != 3 {
		t.Errorf("waits before each line %v, %d in all; want [1 1 2], 3", want, waits)
	}
}
