package ollama

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLine bounds one NDJSON line. A line holds one token, or one whole tool
// call whose arguments may carry a file's content; 32 MiB is far beyond any
// real one and keeps a broken upstream from exhausting memory.
const maxLine = 32 << 20

var errLineTooLong = errors.New("NDJSON line longer than 32 MiB")

// lineReader splits an NDJSON body into lines (api: one JSON value per
// line, "\n"-terminated, server/routes.go streamResponse). Blank lines are
// skipped.
type lineReader struct {
	r   *bufio.Reader
	buf []byte
	// beforeWait, when set, is called before a read that may block: no
	// whole line is buffered.
	beforeWait func()
}

// lineBufferSize fits Ollama's lines (a token and its JSON, a few hundred
// bytes for the last one); a longer line is gathered in buf.
const lineBufferSize = 4 << 10

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, lineBufferSize)}
}

// lineBuffered reports whether a whole line is in the buffer.
func (l *lineReader) lineBuffered() bool {
	b, _ := l.r.Peek(l.r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// next returns the next non-blank line, without surrounding space. The
// slice is valid until the next call. unterminated is true for a last line
// that ended at EOF without "\n": either a writer that omits the final
// newline or a body cut mid-line, which only decoding can tell apart. At
// the end of the body next returns io.EOF.
func (l *lineReader) next() (line []byte, unterminated bool, err error) {
	for {
		if l.beforeWait != nil && !l.lineBuffered() {
			l.beforeWait()
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
				return nil, false, errLineTooLong
			}
			frag, err = l.r.ReadSlice('\n')
			l.buf = append(l.buf, frag...)
		}
		if len(l.buf) > maxLine {
			return nil, false, errLineTooLong
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
