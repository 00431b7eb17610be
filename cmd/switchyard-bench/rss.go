package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// rssResult is the daemon's resident memory, in MiB.
type rssResult struct {
	// IdleMiB is measured after start, once the model's vocabulary is
	// loaded (the daemon as it waits for its first agent), before any load.
	IdleMiB float64 `json:"idle_mib"`
	// LoadPeakMiB is the highest RSS sampled (every 10 ms) while 64 clients
	// each sent 1 MiB requests; LoadHWMMiB is the kernel's high-water mark
	// (VmHWM) at the end, which no sample can miss.
	LoadPeakMiB float64 `json:"load_peak_mib"`
	LoadHWMMiB  float64 `json:"load_hwm_mib"`
	// AfterMiB is the RSS 5 s after the load, once idle again.
	AfterMiB     float64 `json:"after_load_mib"`
	Requests     int     `json:"requests"`
	RequestBytes int     `json:"request_bytes"`
	// BareHopIdleMiB is the bare ReverseProxy's idle RSS, for scale.
	BareHopIdleMiB float64 `json:"bare_hop_idle_mib"`
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// idleRSS is the daemon's and the bare hop's resident memory before any
// load.
func idleRSS(sy *daemon, hop *hopProcess) (*rssResult, error) {
	rss, _, err := sy.memory()
	if err != nil {
		return nil, err
	}
	res := &rssResult{IdleMiB: mib(rss)}
	if r, _, err := hop.memory(); err == nil {
		res.BareHopIdleMiB = mib(r)
	}
	return res, nil
}

// measureRSS loads the daemon with conc clients, each in a conversation of
// its own of about 1 MiB, perClient streamed requests each, while sampling
// its RSS. res already holds the idle figures (idleRSS).
func measureRSS(ctx context.Context, c *corpus, sy *daemon, res *rssResult, conc, perClient int) error {
	convs := make([]conversation, conc)
	for w := range convs {
		convs[w] = c.bigConversation("/nonexistent/rss", fmt.Sprintf("w%02d", w), 1<<20)
	}
	// Request i is in conversation i%conc: the first of each is new to
	// switchyard, each later one adds a message.
	body := func(i int) []byte {
		return convs[i%conc].request(fmt.Sprintf("#r%d and now the next file, please", i), true)
	}
	res.Requests, res.RequestBytes = conc*perClient, len(body(0))

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if r, _, err := sy.memory(); err == nil && r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	client := newClient(conc)
	defer client.CloseIdleConnections()
	_, _, err := load(ctx, client, job{
		url:  sy.URL + "/v1/chat/completions",
		body: body,
		check: func(i int, a *answer) error {
			if a.status != http.StatusOK {
				return fmt.Errorf("HTTP %d: %.300s", a.status, a.body)
			}
			if s, err := readStream(a.body); err != nil || !s.Done || s.Error != "" {
				return fmt.Errorf("incomplete stream (%v): %+v", err, s)
			}
			return nil
		},
	}, res.Requests, conc, false)
	close(stop)
	<-sampled
	if err != nil {
		return err
	}
	_, hwm, err := sy.memory()
	if err != nil {
		return err
	}
	res.LoadPeakMiB, res.LoadHWMMiB = mib(peak.Load()), mib(hwm)
	// The daemon gives its heap back 2 to 4 s after a burst ends (it looks
	// every 2 s); measure after that.
	time.Sleep(5 * time.Second)
	if rss, _, err := sy.memory(); err == nil {
		res.AfterMiB = mib(rss)
	}
	return nil
}
