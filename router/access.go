package router

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard/ingress"
)

// Attribute keys of the access line.
const (
	logID        = "id"
	logMethod    = "method"
	logPath      = "path"
	logStatus    = "status"
	logRoute     = "route"
	logReason    = "reason"
	logPrivacy   = "privacy"
	logEstimated = "estimated_tokens"
	logPrompt    = "prompt_tokens"
	logOutput    = "completion_tokens"
	logDuration  = "duration_ms"
	logTTFB      = "ttfb_ms"
	logFallback  = "fallback"
	logError     = "error"
)

// statusWriter is the ResponseWriter handlers write to: it remembers the
// status for the access line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer's Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestLog is what a request's access line reports, filled in by the
// handlers as they go, and the dialect its errors are written in.
type requestLog struct {
	id        string
	route     string
	reason    string
	privacy   string
	estimated int
	prompt    int
	output    int
	ttfb      time.Duration
	start     time.Time
	fallback  string
	err       error
	// repo and files are the job's, for the status page.
	repo  string
	files int
	// routed is set for a request the policy decided on (a chat endpoint
	// of any dialect, explain): its line carries the decision.
	routed bool
	// dl is the dialect of the request's endpoint (the first one for a
	// path that is no dialect's): errors are written in its envelope.
	dl ingress.Dialect
}

// dialect is the dialect errors go out in.
func (l *requestLog) dialect() ingress.Dialect { return l.dl }

type logKey struct{}

func withLog(ctx context.Context, l *requestLog) context.Context {
	return context.WithValue(ctx, logKey{}, l)
}

func logOf(r *http.Request) *requestLog {
	if l, ok := r.Context().Value(logKey{}).(*requestLog); ok {
		return l
	}
	return &requestLog{}
}

func (rt *Router) logAccess(r *http.Request, l *requestLog, status int, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	if !rt.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String(logID, l.id), slog.String(logMethod, r.Method), slog.String(logPath, r.URL.Path),
		slog.Int(logStatus, status), slog.Float64(logDuration, ms(d)),
	}
	if l.routed {
		attrs = append(attrs, slog.String(logRoute, l.route), slog.String(logReason, l.reason),
			slog.String(logPrivacy, l.privacy), slog.Int(logEstimated, l.estimated),
			slog.Int(logPrompt, l.prompt), slog.Int(logOutput, l.output))
		if l.ttfb > 0 {
			attrs = append(attrs, slog.Float64(logTTFB, ms(l.ttfb)))
		}
	}
	if l.fallback != "" {
		attrs = append(attrs, slog.String(logFallback, l.fallback))
	}
	if l.err != nil {
		attrs = append(attrs, slog.String(logError, l.err.Error()))
	}
	rt.log.LogAttrs(r.Context(), level, "request", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var newID = ingress.NewID

// setRouteHeaders sets the X-Switchyard-* headers every chat completion
// response carries.
func setRouteHeaders(h http.Header, route, reason, privacy string, estimated int) {
	if privacy == "" {
		privacy = "private"
	}
	setHeaders(h, "X-Switchyard-Route", route, "X-Switchyard-Reason", reason,
		"X-Switchyard-Privacy", privacy, "X-Switchyard-Estimated-Tokens", strconv.Itoa(estimated))
}

// setHeaders sets each canonical key of kv (key, value, key, value...) to
// its value, as Header.Set would, with one allocation for all the values
// where Set makes one each: a reply carries a dozen of switchyard's.
func setHeaders(h http.Header, kv ...string) {
	vals := make([]string, len(kv)/2)
	for i := range vals {
		vals[i] = kv[2*i+1]
		h[kv[2*i]] = vals[i : i+1 : i+1]
	}
}

// maxHeaderText bounds a header that carries a sentence for people (a job
// stated in many directories makes a long privacy source).
const maxHeaderText = 2048

// headerText is s fit for a header value: on one line, at most
// maxHeaderText bytes, cut at a rune boundary.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= maxHeaderText {
		return s
	}
	cut := maxHeaderText - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
