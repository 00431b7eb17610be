// Package lines splits a streamed body into lines for the providers that
// read one (Ollama's NDJSON, the SSE of OpenAI-compatible servers), and
// tells the router when a read may block, so that what arrived together
// is written to the client together.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLine bounds one line. A line holds one token, or one whole tool call
// whose arguments may carry a file's content; 32 MiB is far beyond any real
// one and keeps a broken upstream from exhausting memory.
const maxLine = 32 << 20

// ErrTooLong is a line longer than 32 MiB.
var ErrTooLong = errors.New("line longer than 32 MiB")

// Reader splits a body into "\n"-terminated lines (Ollama's NDJSON,
// server/routes.go streamResponse; SSE, whose fields are lines). Blank
// lines are skipped.
type Reader struct {
	r   *bufio.Reader
	buf []byte
	// BeforeWait, when set, is called before a read that may block: no
	// whole line is buffered (providers.Waiter).
	BeforeWait func()
}

// bufferSize fits a token's line (a token and its JSON, a few hundred
// bytes; the last line with timings or usage a little more); a longer
// line is gathered in buf.
const bufferSize = 4 << 10

// New returns a Reader of r.
func New(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, bufferSize)}
}

// lineBuffered reports whether a whole line is in the buffer.
func (l *Reader) lineBuffered() bool {
	b, _ := l.r.Peek(l.r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// Next returns the next non-blank line, without surrounding space. The
// slice is valid until the next call. unterminated is true for a last line
// that ended at EOF without "\n": either a writer that omits the final
// newline or a body cut mid-line, which only decoding can tell apart. At
// the end of the body Next returns io.EOF.
func (l *Reader) Next() (line []byte, unterminated bool, err error) {
	for {
		if l.BeforeWait != nil && !l.lineBuffered() {
			l.BeforeWait()
		}
		frag, err := l.r.ReadSlice('\n')
		if err == nil {
			// The common case: the whole line was in the buffer.
			if line := bytes.TrimSpace(frag); len(line) > 0 {
				return line, false, nil
			}
			continue
		}
		l.buf = append(l.buf[:0], frag...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(l.buf) > maxLine {
				return nil, false, ErrTooLong
			}
			frag, err = l.r.ReadSlice('\n')
			l.buf = append(l.buf, frag...)
		}
		if len(l.buf) > maxLine {
			return nil, false, ErrTooLong
		}
		line := bytes.TrimSpace(l.buf)
		switch {
		case err == nil && len(line) > 0:
			return line, false, nil
		case err == nil:
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, true, nil
		default:
			return nil, false, err
		}
	}
}
