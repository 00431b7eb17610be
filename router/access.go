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

// access records what the access line reports; handlers fill it in.
type access struct {
	http.ResponseWriter
	id        string
	status    int
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
	// dl is the dialect of the request's endpoint (the first one for a
	// path that is no dialect's): errors are written in its envelope.
	dl ingress.Dialect
}

// dialect is the dialect errors go out in.
func (a *access) dialect() ingress.Dialect { return a.dl }

func (a *access) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *access) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer's Flush.
func (a *access) Unwrap() http.ResponseWriter { return a.ResponseWriter }

type accessKey struct{}

func withAccess(ctx context.Context, a *access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

func accessOf(r *http.Request) *access {
	if a, ok := r.Context().Value(accessKey{}).(*access); ok {
		return a
	}
	return &access{}
}

func (rt *Router) logAccess(r *http.Request, a *access, d time.Duration) {
	level := slog.LevelInfo
	if a.status >= 500 {
		level = slog.LevelWarn
	}
	if !rt.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String(logID, a.id), slog.String(logMethod, r.Method), slog.String(logPath, r.URL.Path),
		slog.Int(logStatus, a.status), slog.Float64(logDuration, ms(d)),
	}
	if strings.HasPrefix(r.URL.Path, "/v1/chat") || strings.HasPrefix(r.URL.Path, "/v1/switchyard") {
		attrs = append(attrs, slog.String(logRoute, a.route), slog.String(logReason, a.reason),
			slog.String(logPrivacy, a.privacy), slog.Int(logEstimated, a.estimated),
			slog.Int(logPrompt, a.prompt), slog.Int(logOutput, a.output))
		if a.ttfb > 0 {
			attrs = append(attrs, slog.Float64(logTTFB, ms(a.ttfb)))
		}
	}
	if a.fallback != "" {
		attrs = append(attrs, slog.String(logFallback, a.fallback))
	}
	if a.err != nil {
		attrs = append(attrs, slog.String(logError, a.err.Error()))
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
	h.Set("X-Switchyard-Route", route)
	h.Set("X-Switchyard-Reason", reason)
	h.Set("X-Switchyard-Privacy", privacy)
	h.Set("X-Switchyard-Estimated-Tokens", strconv.Itoa(estimated))
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
