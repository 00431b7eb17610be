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
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
)

func serveCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (default: $SWITCHYARD_CONFIG, ~/.config/switchyard/switchyard.yaml, /etc/switchyard/switchyard.yaml, built-in)")
	return cmd
}

// swappable serves through whichever app is current, so a reload can put a
// new configuration in place while requests that started on the old one
// finish on it.
type swappable struct{ cur atomic.Pointer[app] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cur.Load().router.ServeHTTP(w, r)
}

func serve(ctx context.Context, configPath string) error {
	cfg, err := configs.Load(configPath, os.LookupEnv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, os.Stderr)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a, err := build(ctx, cfg, log, os.LookupEnv)
	if err != nil {
		return err
	}
	a.start(ctx, log)
	var h swappable
	h.cur.Store(a)

	ln, err := listen(cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: &h,
		// No WriteTimeout and no overall client timeout: both would kill
		// long streams. Headers must arrive promptly; idle connections go.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("switchyard listening", "addr", cfg.Listen, "config", cfg.Source, "version", versionString(), "providers", providerSummary(cfg))

	select {
	case err := <-errc:
		a.close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A fresh deadline: ctx is already cancelled.
	log.Info("shutting down: draining in-flight requests", "deadline", cfg.Server.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	h.cur.Load().close()
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown deadline passed with requests still in flight; closing them", "deadline", cfg.Server.ShutdownTimeout)
		srv.Close()
		return nil
	}
	log.Info("stopped")
	return nil
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
