// Package metrics holds switchyard's Prometheus collectors. Names follow
// Prometheus conventions: the switchyard_ prefix, _total for counters,
// _seconds for durations. Labels never carry a key, a prompt or a
// repository path.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry and its collectors. A nil *Metrics records
// nothing, so callers need no checks.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	prompt    *prometheus.CounterVec
	output    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	ttfb      *prometheus.HistogramVec
	fallbacks *prometheus.CounterVec
	egress    *prometheus.CounterVec
	inFlight  prometheus.Gauge

	mu     sync.Mutex
	locals map[string]*localGauges
}

// localGauges read through funcs that a reload can replace.
type localGauges struct {
	prefill atomic.Pointer[func() float64]
	window  atomic.Pointer[func() int]
	queued  atomic.Pointer[func() float64]
}

// Latency buckets reach well past the 5-minute local timeout: slow local
// prefills are the point.
var buckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200}

// New registers the collectors on a fresh registry, with Go and process
// metrics beside them.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_requests_total", Help: "Chat requests by the provider that answered (none if none did), the routing reason and the HTTP status.",
	}, []string{"route", "reason", "status"})
	m.prompt = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_prompt_tokens_total", Help: "Prompt tokens reported by each provider.",
	}, []string{"provider"})
	m.output = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_completion_tokens_total", Help: "Completion tokens reported by each provider.",
	}, []string{"provider"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "switchyard_request_duration_seconds", Help: "Time from a request's arrival to the end of its answer, by provider.", Buckets: buckets,
	}, []string{"provider"})
	m.ttfb = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "switchyard_time_to_first_byte_seconds", Help: "Time from a request's arrival to the provider's first chunk, by provider.", Buckets: buckets,
	}, []string{"provider"})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_fallbacks_total", Help: "Providers that failed before the first byte and were followed by another, by provider and cause.",
	}, []string{"provider", "cause"})
	m.egress = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchyard_egress_jobs_total", Help: "Jobs sent off this machine, by cloud provider.",
	}, []string{"provider"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "switchyard_in_flight_requests", Help: "Chat requests being served now.",
	})
	m.reg.MustRegister(m.requests, m.prompt, m.output, m.duration, m.ttfb, m.fallbacks, m.egress, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Local exports a local provider's measured prefill speed, the window
// switchyard uses with it, and the predicted seconds of the jobs it is
// running (counted for a pool's members). Calling it again for the same
// provider (after a reload) replaces the sources.
func (m *Metrics) Local(provider string, prefillTPS func() float64, window func() int, queued func() float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locals == nil {
		m.locals = map[string]*localGauges{}
	}
	g := m.locals[provider]
	if g == nil {
		g = &localGauges{}
		g.prefill.Store(&prefillTPS)
		g.window.Store(&window)
		g.queued.Store(&queued)
		m.locals[provider] = g
		labels := prometheus.Labels{"provider": provider}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchyard_local_prefill_tokens_per_second",
				Help: "Measured prefill speed of the local model at depth 0.", ConstLabels: labels},
				func() float64 { return (*g.prefill.Load())() }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchyard_local_context_window_tokens",
				Help: "The context window switchyard sends to the local model (num_ctx).", ConstLabels: labels},
				func() float64 { return float64((*g.window.Load())()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchyard_local_queued_seconds",
				Help: "Predicted seconds of the jobs a local pool member is running, which its next job's prediction counts.", ConstLabels: labels},
				func() float64 { return (*g.queued.Load())() }),
		)
	}
	g.prefill.Store(&prefillTPS)
	g.window.Store(&window)
	g.queued.Store(&queued)
}

// Start counts a request in flight; the returned func ends it.
func (m *Metrics) Start() func() {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// Request records a finished chat request.
func (m *Metrics) Request(route, reason string, status int) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, reason, strconv.Itoa(status)).Inc()
}

// Answered records a provider's answer: its time to first byte, total
// duration and reported usage.
func (m *Metrics) Answered(provider string, ttfb, total time.Duration, prompt, completion int) {
	if m == nil {
		return
	}
	m.ttfb.WithLabelValues(provider).Observe(ttfb.Seconds())
	m.duration.WithLabelValues(provider).Observe(total.Seconds())
	m.prompt.WithLabelValues(provider).Add(float64(prompt))
	m.output.WithLabelValues(provider).Add(float64(completion))
}

// Fallback records a provider that failed before the first byte.
func (m *Metrics) Fallback(provider, cause string) {
	if m == nil {
		return
	}
	m.fallbacks.WithLabelValues(provider, cause).Inc()
}

// Egress records a job sent to a cloud provider.
func (m *Metrics) Egress(provider string) {
	if m == nil {
		return
	}
	m.egress.WithLabelValues(provider).Inc()
}
