package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/router/audit"
	"github.com/switchyard/switchyard/router/metrics"
	"github.com/switchyard/switchyard/systemd"
)

func serveCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), configPath, lookupEnv)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (default: $SWITCHYARD_CONFIG, ~/.config/switchyard/switchyard.yaml, /etc/switchyard/switchyard.yaml, built-in)")
	return cmd
}

// lookupEnv is the environment, and for a variable that is unset, a
// systemd credential of the same name (LoadCredential=MISTRAL_API_KEY:…).
func lookupEnv(key string) (string, bool) {
	if v, ok := os.LookupEnv(key); ok {
		return v, ok
	}
	return systemd.Credential(os.Getenv, key)
}

// swappable serves through whichever app is current, so a reload can put a
// new configuration in place while requests that started on the old one
// finish on it.
type swappable struct {
	cur atomic.Pointer[app]
	// active counts requests in progress and served all that began.
	active, served atomic.Int64
}

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	s.served.Add(1)
	defer s.active.Add(-1)
	s.cur.Load().router.ServeHTTP(w, r)
}

// idleTracker notices the end of a burst of requests: nothing in progress
// and nothing begun since the previous look, after some were.
type idleTracker struct {
	lastServed int64
	busy       bool
}

// look reports whether a burst has just ended.
func (t *idleTracker) look(s *swappable) bool {
	served := s.served.Load()
	moved := served != t.lastServed
	t.lastServed = served
	if moved {
		t.busy = true
		return false
	}
	if t.busy && s.active.Load() == 0 {
		t.busy = false
		return true
	}
	return false
}

// daemon is what outlives a reload: the logs, metrics and the listener.
type daemon struct {
	configPath string
	env        configs.Env
	log        *slog.Logger
	metrics    *metrics.Metrics
	egress     *audit.Log
	usage      *audit.Log
	notify     *systemd.Notifier
	h          swappable
	source     string
	modTime    time.Time
	// doctor checks the serving app in the background for the status page;
	// reloadErr is why the last reload was refused, nil if it was not.
	doctor    *liveDoctor
	reloadErr atomic.Pointer[string]
}

func serve(ctx context.Context, configPath string, env configs.Env) error {
	cfg, err := configs.Load(configPath, env)
	if err != nil {
		return err
	}
	d := &daemon{configPath: configPath, env: env, log: newLogger(cfg.Log, os.Stderr), metrics: metrics.New(),
		notify: systemd.NewNotifier(os.Getenv), doctor: newLiveDoctor()}
	// Libraries that write with the standard log package (the Gemini SDK
	// on a cut stream) go through the same handler, as structured lines.
	slog.SetDefault(d.log)
	if err := d.openAudit(cfg, env); err != nil {
		return err
	}
	defer d.egress.Close()
	defer d.usage.Close()

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := d.build(ctx, cfg)
	if err != nil {
		return err
	}
	d.h.cur.Store(a)
	d.track(cfg)
	setMaxProcs(cfg.Server.MaxProcs, os.Getenv)
	go d.doctor.run(ctx, d.checkLive, doctorEvery, doctorSoon)

	ln, err := systemd.Listener(os.Getenv, os.Getpid())
	if err != nil {
		return err
	}
	addr := cfg.Listen
	if ln != nil {
		addr = ln.Addr().String() + " (socket activation)"
	} else if ln, err = listen(cfg.Listen); err != nil {
		return err
	}
	srv := &http.Server{
		Handler: &d.h,
		// No WriteTimeout and no overall client timeout: both would kill
		// long streams. Headers must arrive promptly; idle connections go.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	d.log.Info("switchyard listening", "addr", addr, "config", cfg.Source, "version", versionString(),
		"providers", providerSummary(cfg), "audit", d.egress.Path())
	d.notify.Ready()
	d.notify.Status("serving on " + addr)
	releaseMemory()

	wctx, wstop := context.WithCancel(context.Background())
	defer wstop()
	go d.notify.Watchdog(wctx, systemd.WatchdogInterval(os.Getenv, os.Getpid()), nil)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	var idle idleTracker

	for {
		select {
		case err := <-errc:
			d.h.cur.Load().close()
			return fmt.Errorf("serve: %w", err)
		case <-hup:
			d.reload(ctx, "SIGHUP")
		case <-poll.C:
			if d.changed() {
				d.reload(ctx, "the config file changed")
			}
			if idle.look(&d.h) {
				// A burst of large conversations leaves caches and a heap
				// sized for it; give them back rather than idle on them.
				d.h.cur.Load().trim()
				releaseMemory()
			}
		case <-ctx.Done():
			return d.shutdown(srv, cfg.Server.ShutdownTimeout)
		}
	}
}

// shutdown stops accepting, drains in-flight requests and streams under a
// fresh deadline (ctx is already cancelled), then closes what is left.
func (d *daemon) shutdown(srv *http.Server, deadline time.Duration) error {
	d.notify.Stopping()
	d.log.Info("shutting down: draining in-flight requests", "deadline", deadline)
	sctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	err := srv.Shutdown(sctx)
	d.h.cur.Load().close()
	if errors.Is(err, context.DeadlineExceeded) {
		d.log.Warn("shutdown deadline passed with requests still in flight; closing them", "deadline", deadline)
		srv.Close()
		return nil
	}
	d.log.Info("stopped")
	return nil
}

// build wires one configuration with the daemon's lasting parts.
func (d *daemon) build(ctx context.Context, cfg *configs.Config) (*app, error) {
	a, err := build(ctx, cfg, d.log, d.env, appExtras{metrics: d.metrics, egress: d.egress, usage: d.usage, findings: d.doctor.Report})
	if err != nil {
		return nil, err
	}
	a.start(ctx, d.log)
	return a, nil
}

// reload reads the configuration again. A bad one is refused with the
// reason, and the old one keeps serving (/readyz says so); requests in
// flight finish on the configuration they started with.
func (d *daemon) reload(ctx context.Context, why string) {
	d.notify.Reloading()
	defer d.notify.Ready()
	old := d.h.cur.Load()
	cfg, err := configs.Load(d.configPath, d.env)
	if err == nil && cfg.Listen != old.cfg.Listen {
		d.log.Warn("listen changed; it takes effect at the next restart", "old", old.cfg.Listen, "new", cfg.Listen)
	}
	var a *app
	if err == nil {
		a, err = d.build(ctx, cfg)
	}
	if err != nil {
		d.log.Error("reload refused; the previous configuration keeps serving", "trigger", why, "error", err)
		old.router.SetReloadError(err)
		d.track(nil)
		msg := err.Error()
		d.reloadErr.Store(&msg)
		d.doctor.Again()
		return
	}
	d.h.cur.Store(a)
	d.track(cfg)
	setMaxProcs(cfg.Server.MaxProcs, os.Getenv)
	old.close()
	d.reloadErr.Store(nil)
	d.doctor.Again()
	d.log.Info("configuration reloaded", "trigger", why, "config", cfg.Source, "providers", providerSummary(cfg))
}

// checkLive runs the daemon's doctor on the app that serves now.
func (d *daemon) checkLive() (*report, bool) {
	why := ""
	if p := d.reloadErr.Load(); p != nil {
		why = *p
	}
	return doctorLive(d.h.cur.Load(), d.env, why, time.Now())
}

// setMaxProcs applies server.max_procs, unless GOMAXPROCS is set.
func setMaxProcs(n int, getenv func(string) string) {
	if getenv("GOMAXPROCS") != "" {
		return
	}
	if n <= 0 {
		runtime.SetDefaultGOMAXPROCS() // every core the process may use
		return
	}
	runtime.GOMAXPROCS(n)
}

// track remembers the config file's modification time, to notice edits.
func (d *daemon) track(cfg *configs.Config) {
	if cfg != nil {
		d.source = cfg.Source
	}
	if st, err := os.Stat(d.source); err == nil {
		d.modTime = st.ModTime()
	}
}

func (d *daemon) changed() bool {
	if d.source == configs.BuiltIn {
		return false
	}
	st, err := os.Stat(d.source)
	return err == nil && !st.ModTime().Equal(d.modTime)
}

// openAudit opens the egress log and, beside it, the local usage tally.
func (d *daemon) openAudit(cfg *configs.Config, env configs.Env) error {
	path := auditPath(cfg, env)
	var err error
	if d.egress, err = audit.Open(path, audit.DefaultMaxBytes); err != nil {
		return fmt.Errorf("the egress audit log %s cannot be opened (set audit.path): %w", path, err)
	}
	if d.usage, err = audit.OpenTally(filepath.Join(filepath.Dir(path), "usage.jsonl"), audit.DefaultMaxBytes); err != nil {
		return err
	}
	return nil
}

// auditPath is audit.path, else $STATE_DIRECTORY/egress.jsonl under
// systemd, else ~/.local/state/switchyard/egress.jsonl.
func auditPath(cfg *configs.Config, env configs.Env) string {
	if cfg.Audit.Path != "" {
		return cfg.Audit.Path
	}
	if dir, ok := env("STATE_DIRECTORY"); ok && dir != "" {
		return filepath.Join(strings.Split(dir, ":")[0], "egress.jsonl")
	}
	if dir, ok := env("XDG_STATE_HOME"); ok && dir != "" {
		return filepath.Join(dir, "switchyard", "egress.jsonl")
	}
	home, _ := env("HOME")
	return filepath.Join(home, ".local", "state", "switchyard", "egress.jsonl")
}

// listen opens host:port or unix:/path.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

func providerSummary(cfg *configs.Config) string {
	var parts []string
	for _, p := range cfg.Providers {
		where := "cloud"
		if p.IsLocal() {
			where = "local"
		}
		parts = append(parts, fmt.Sprintf("%s(%s %s, %s)", p.Name, p.Kind, p.Model, where))
	}
	return strings.Join(parts, " ")
}

func newLogger(c configs.Log, w *os.File) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
