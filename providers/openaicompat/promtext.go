package openaicompat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// vLLM says its load in Prometheus text (exposition format 0.0.4,
// prometheus.io/docs/instrumenting/exposition_formats). Reading two gauges
// needs little of it, so it is read here rather than through expfmt, which
// go.mod does not require directly: a line of a metric asked for is
// `name{label="value",...} value [timestamp]`; comments, blank lines and
// every other metric's lines are skipped unread. A line of a metric asked
// for that does not parse is an error: a body that says something else
// than expected is not read as a number.

// promSample is one sample of a metric.
type promSample struct {
	name   string
	labels []promLabel
	value  float64
}

type promLabel struct{ name, value string }

// label is the value of the sample's label name, "" when it has none.
func (s promSample) label(name string) string {
	for _, l := range s.labels {
		if l.name == name {
			return l.value
		}
	}
	return ""
}

// maxPromLine bounds one line; vLLM's longest (cache_config_info's
// labels) is well under a kilobyte.
const maxPromLine = 64 << 10

// parseProm returns the samples of the metrics named names that r holds,
// in order.
func parseProm(r io.Reader, names ...string) ([]promSample, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPromLine)
	var out []promSample
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		name, rest := promName(line)
		if name == "" || !slices.Contains(names, name) {
			// A comment (# HELP, # TYPE, OpenMetrics' # EOF), a blank line,
			// or another metric: vllm:num_requests_waiting_by_reason is not
			// vllm:num_requests_waiting.
			continue
		}
		s, err := parsePromSample(name, rest)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, name, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// promName splits a sample line into its metric name and the rest; the
// name is "" for a comment or a blank line.
func promName(line string) (name, rest string) {
	line = strings.TrimLeft(line, " \t")
	i := 0
	for i < len(line) && isPromNameByte(line[i], i == 0) {
		i++
	}
	if i == 0 || i < len(line) && line[i] != '{' && line[i] != ' ' && line[i] != '\t' {
		return "", ""
	}
	return line[:i], line[i:]
}

// isPromNameByte: a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*; a label
// name the same without the colon.
func isPromNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

var errPromSyntax = errors.New("not a Prometheus sample")

// parsePromSample parses what follows a sample's name: its labels, its
// value and an optional timestamp.
func parsePromSample(name, rest string) (promSample, error) {
	s := promSample{name: name}
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " \t")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			var l promLabel
			var err error
			if l, rest, err = parsePromLabel(rest); err != nil {
				return s, err
			}
			s.labels = append(s.labels, l)
			rest = strings.TrimLeft(rest, " \t")
			switch {
			case strings.HasPrefix(rest, ","):
				rest = rest[1:]
			case strings.HasPrefix(rest, "}"):
			default:
				return s, fmt.Errorf("%w: labels not closed", errPromSyntax)
			}
		}
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return s, fmt.Errorf("%w: want a value and at most a timestamp after the name", errPromSyntax)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("%w: value %q", errPromSyntax, fields[0])
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("%w: timestamp %q", errPromSyntax, fields[1])
		}
	}
	s.value = v
	return s, nil
}

// parsePromLabel parses `name="value"` at the start of s, the value's
// escapes (\\, \", \n) undone.
func parsePromLabel(s string) (promLabel, string, error) {
	i := 0
	for i < len(s) && s[i] != ':' && isPromNameByte(s[i], i == 0) {
		i++
	}
	if i == 0 || !strings.HasPrefix(strings.TrimLeft(s[i:], " \t"), "=") {
		return promLabel{}, s, fmt.Errorf("%w: want label=\"value\"", errPromSyntax)
	}
	l := promLabel{name: s[:i]}
	s = strings.TrimLeft(strings.TrimLeft(s[i:], " \t")[1:], " \t")
	if !strings.HasPrefix(s, `"`) {
		return l, s, fmt.Errorf("%w: label %s's value is not quoted", errPromSyntax, l.name)
	}
	var b strings.Builder
	for i = 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			l.value = b.String()
			return l, s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return l, s, fmt.Errorf("%w: label %s's value is not closed", errPromSyntax, l.name)
			}
			i++
			switch s[i] {
			case '\\', '"':
				b.WriteByte(s[i])
			case 'n':
				b.WriteByte('\n')
			default:
				return l, s, fmt.Errorf("%w: label %s's value has the escape \\%c", errPromSyntax, l.name, s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return l, s, fmt.Errorf("%w: label %s's value is not closed", errPromSyntax, l.name)
}
