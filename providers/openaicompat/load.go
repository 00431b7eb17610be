package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// An engine shared with other clients (someone's curl, another tool) is
// busy with work switchyard did not send it, and only the engine knows.
// Both engines say how busy they are:
//
//   - llama.cpp's server lists its slots in GET /slots at the server's
//     root, beside /v1 (tools/server/README.md, "GET /slots"), each with
//     is_processing. It is on by default; under --no-slots it answers 501
//     with not_supported_error. It shows no queue: a request waiting for a
//     free slot is not listed, so waiting is 0.
//   - vLLM exports Prometheus text at GET /metrics at the root
//     (vllm/v1/metrics/loggers.py): the gauges vllm:num_requests_running
//     and vllm:num_requests_waiting, one series per engine core (the
//     engine label, one per data-parallel rank) labelled model_name, the
//     served model's name.
//   - llama.cpp's server exports GET /metrics too when started with
//     --metrics (tools/server/README.md, "GET /metrics"; off by default,
//     501 otherwise): llamacpp:requests_processing and
//     llamacpp:requests_deferred, the requests waiting for a slot, which
//     /slots does not show. So /metrics is asked first.
//
// The engine is read in the background (Engine.Watch), at most every
// loadEvery, so that a job asking for the load reads memory only. The
// endpoint that answered is remembered; an engine that answers neither
// (LM Studio, a proxy, llama.cpp under --no-slots without --metrics) is
// asked again rarely, and its load stays unknown.

// The paths asked, at the server's root.
const (
	slotsPath   = "/slots"
	metricsPath = "/metrics"
)

const (
	// loadEvery is how often an engine that says its load is read.
	loadEvery = time.Second
	// loadTimeout bounds one reading.
	loadTimeout = time.Second
	// loadProbeEvery is how often an engine that answers neither endpoint
	// is asked again (it may be restarted with its slots on).
	loadProbeEvery = 30 * time.Second
	// maxLoadBody bounds what one reading takes in: vLLM's metrics, with
	// every histogram of a few engine cores, are some hundred kilobytes.
	maxLoadBody = 4 << 20
	// maxRequests is more requests than any engine holds; a gauge above it
	// is not believed.
	maxRequests = 1 << 20
)

// loadReading is what the engine last said.
type loadReading struct {
	running, waiting int
	at               time.Time
}

// errNotSaid is a reading the engine does not give this way: the
// endpoint is absent or disabled, or its body is not what the engine
// sends. Other errors (the engine unreachable, busy, or slow) are passing.
var errNotSaid = errors.New("does not say its load")

// Load is how many requests the engine said it is running and has
// waiting, all clients' together, and when it said so; ok is false while
// that is unknown (the engine answers neither /slots nor /metrics, did not
// answer the last reading, or Watch is not running). It does no I/O.
func (e *Engine) Load() (running, waiting int, at time.Time, ok bool) {
	r := e.load.Load()
	if r == nil {
		return 0, 0, time.Time{}, false
	}
	return r.running, r.waiting, r.at, true
}

// Watch keeps Load fresh until ctx ends: every loadEvery while the engine
// answers, every loadProbeEvery while it answers neither endpoint. Run it
// once, in its own goroutine; it returns when ctx ends, the load unknown.
func (e *Engine) Watch(ctx context.Context) {
	w := &loadWatcher{e: e, every: e.loadEvery, probeEvery: e.loadProbeEvery}
	t := time.NewTimer(0)
	defer t.Stop()
	defer e.load.Store(nil)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(w.refresh(ctx))
	}
}

// loadWatcher is Watch's state; only its goroutine touches it.
type loadWatcher struct {
	e                 *Engine
	every, probeEvery time.Duration
	// path is the endpoint that answered, "" until one has.
	path string
	// err is why the last reading failed, for tests and doctor.
	err error
}

// refresh reads the load once and returns when to read it next.
func (w *loadWatcher) refresh(ctx context.Context) time.Duration {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	paths := []string{metricsPath, slotsPath}
	if w.path != "" {
		paths = []string{w.path}
	}
	for _, path := range paths {
		r, err := w.e.readLoad(ctx, path)
		if err == nil {
			w.path, w.err = path, nil
			w.e.load.Store(&r)
			return w.every
		}
		w.err = err
		if !errors.Is(err, errNotSaid) {
			// Unreachable or busy (llama.cpp answers 503 while it loads the
			// model): not known now, asked again soon, the same way.
			w.e.load.Store(nil)
			return w.every
		}
	}
	w.e.load.Store(nil)
	if w.path != "" {
		// It said its load this way before and no longer does (restarted
		// with --no-slots): ask both again now.
		w.path = ""
		return w.every
	}
	return w.probeEvery
}

// readLoad asks the engine at path, at its server's root.
func (e *Engine) readLoad(ctx context.Context, path string) (loadReading, error) {
	root := strings.TrimSuffix(strings.TrimRight(e.p.o.BaseURL, "/"), "/v1")
	u := root + path
	if path == slotsPath {
		// llama.cpp's router mode (several models) answers for the one
		// named; one model's server ignores the parameter.
		u += "?model=" + url.QueryEscape(e.p.o.Model)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return loadReading{}, err
	}
	if e.p.o.APIKey != "" {
		// llama.cpp's --api-key guards /slots too.
		req.Header.Set("Authorization", "Bearer "+e.p.o.APIKey)
	}
	resp, err := e.p.client.Do(req)
	if err != nil {
		return loadReading{}, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxLoadBody)
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		err := fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented || resp.StatusCode == http.StatusTooManyRequests {
			return loadReading{}, err
		}
		return loadReading{}, fmt.Errorf("%w: %w", errNotSaid, err)
	}
	var r loadReading
	if path == slotsPath {
		r, err = parseSlots(body)
	} else {
		r, err = parseMetrics(body, e.p.o.Model)
	}
	if err != nil {
		return loadReading{}, fmt.Errorf("%w: GET %s: %w", errNotSaid, path, err)
	}
	r.at = time.Now()
	return r, nil
}

// parseSlots reads llama.cpp's GET /slots: a JSON array of slots, each
// with is_processing (testdata/llamacpp-slots.json). Every slot must say
// it: an array of something else is not llama.cpp's.
func parseSlots(r io.Reader) (loadReading, error) {
	var slots []struct {
		ID           *int  `json:"id"`
		IsProcessing *bool `json:"is_processing"`
	}
	if err := json.NewDecoder(r).Decode(&slots); err != nil {
		return loadReading{}, fmt.Errorf("not a list of slots: %v", err)
	}
	if len(slots) == 0 {
		return loadReading{}, errors.New("no slots")
	}
	var out loadReading
	for i, s := range slots {
		if s.ID == nil || s.IsProcessing == nil {
			return loadReading{}, fmt.Errorf("slot %d says no id or is_processing", i)
		}
		if *s.IsProcessing {
			out.running++
		}
	}
	return out, nil
}

// The gauges vLLM says its load in (vllm/v1/metrics/loggers.py), and
// llama.cpp's (tools/server/README.md, "GET /metrics").
const (
	vllmRunning     = "vllm:num_requests_running"
	vllmWaiting     = "vllm:num_requests_waiting"
	llamaProcessing = "llamacpp:requests_processing"
	llamaDeferred   = "llamacpp:requests_deferred"
)

// parseMetrics reads the load in an engine's Prometheus metrics: vLLM's
// running and waiting gauges summed over the series of model, every
// engine core of it (testdata/vllm-metrics.txt), else llama.cpp's
// processing and deferred gauges (testdata/llamacpp-metrics.txt). When no
// vLLM series names model (a served-model-name that differs from the
// configured one) but all name the same one, that one is the engine's
// only model and its series count. Metrics without either pair are not
// an engine's load.
func parseMetrics(r io.Reader, model string) (loadReading, error) {
	samples, err := parseProm(r, vllmRunning, vllmWaiting, llamaProcessing, llamaDeferred)
	if err != nil {
		return loadReading{}, err
	}
	models := map[string]bool{}
	saw := map[string]bool{}
	for _, s := range samples {
		if strings.HasPrefix(s.name, "vllm:") {
			models[s.label("model_name")] = true
		}
		saw[s.name] = true
	}
	if !saw[vllmRunning] || !saw[vllmWaiting] {
		if saw[llamaProcessing] && saw[llamaDeferred] {
			return sumGauges(samples, llamaProcessing, llamaDeferred, func(promSample) bool { return true })
		}
		return loadReading{}, fmt.Errorf("no %s and %s, nor %s and %s", vllmRunning, vllmWaiting, llamaProcessing, llamaDeferred)
	}
	if !models[model] {
		if len(models) > 1 {
			return loadReading{}, fmt.Errorf("no series for model_name %q among several models", model)
		}
		for m := range models {
			model = m
		}
	}
	return sumGauges(samples, vllmRunning, vllmWaiting, func(s promSample) bool { return s.label("model_name") == model })
}

// sumGauges sums the samples of the gauges running and waiting that
// count.
func sumGauges(samples []promSample, runningName, waitingName string, count func(promSample) bool) (loadReading, error) {
	var running, waiting float64
	for _, s := range samples {
		if s.name != runningName && s.name != waitingName || !count(s) {
			continue
		}
		if math.IsNaN(s.value) || s.value < 0 || s.value > maxRequests {
			return loadReading{}, fmt.Errorf("%s is %v, not a count of requests", s.name, s.value)
		}
		if s.name == runningName {
			running += s.value
		} else {
			waiting += s.value
		}
	}
	if running > maxRequests || waiting > maxRequests {
		return loadReading{}, fmt.Errorf("%v running and %v waiting are not counts of requests", running, waiting)
	}
	return loadReading{running: int(math.Round(running)), waiting: int(math.Round(waiting))}, nil
}
