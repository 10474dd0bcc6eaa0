// Command presenced is the presence server: HTTP API, Socket.IO and the embedded SPA on
// one port. This file is the composition root only: configuration, logger, store,
// actor system, fiber app, and the ordered shutdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/auth"
	apihttp "github.com/presenced/presenced/http"
	"github.com/presenced/presenced/internal/connlimit"
	"github.com/presenced/presenced/metrics"
	"github.com/presenced/presenced/persistence"
	"github.com/presenced/presenced/web"
	"github.com/presenced/presenced/ws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shutdownTimeout bounds the graceful part of a shutdown.
const shutdownTimeout = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "createsuperuser" {
		return createSuperuser(args[1:], getenv, stdin, stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "presenced: %v\n", err)
		return 2
	}
	log := cfg.logger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, stop, cfg, log); err != nil {
		log.Error("presenced stopped", "err", err)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "presenced: %v\n", err)
			return 2
		}
		return 1
	}
	return 0
}

// openStore opens the database; failing to reach it is a configuration error.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (persistence.Store, error) {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	store, err := persistence.Open(octx, cfg.DB, log)
	if err != nil {
		return nil, usagef("database %s: %v", redactDSN(cfg.DB), err)
	}
	// Every authenticated request and socket bind reads its user: keep them a few
	// seconds (another node's writes show within that).
	return persistence.CacheUsers(store, 5*time.Second, 100_000), nil
}

// jwtSecret is -jwt-secret, or the secret kept beside the SQLite file.
func jwtSecret(cfg *config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	path, ok := persistence.SQLitePath(cfg.DB)
	if !ok {
		return nil, usagef("-jwt-secret is required unless -db is SQLite")
	}
	secret, err := auth.LoadOrCreateSecret(filepath.Join(filepath.Dir(path), "jwt.secret"))
	if err != nil {
		return nil, usagef("%v", err)
	}
	return secret, nil
}

func serve(ctx context.Context, stopSignals func(), cfg *config, log *slog.Logger) error {
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	secret, err := jwtSecret(cfg)
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(ctx, auth.TokenConfig{Secret: secret, TTL: cfg.TokenTTL}, revocationStore{store})
	if err != nil {
		return usagef("%v", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost)
	if err != nil {
		return usagef("%v", err)
	}
	// A single node owns all presence: nobody can be online before it starts. Nodes of
	// a cluster share the database and must leave each other's users alone.
	single := cfg.Redis == ""
	if single {
		if n, err := store.MarkAllOffline(ctx, time.Now()); err != nil {
			return fmt.Errorf("reset presence: %w", err)
		} else if n > 0 {
			log.Info("marked users offline left online by the previous run", "users", n)
		}
	}
	var redis *actors.RedisConfig
	if !single {
		redis = &actors.RedisConfig{
			URL: cfg.Redis, Channel: cfg.RedisChannel, Prefix: cfg.RedisPrefix,
			OnRevoked: func(jti string, _ int64, exp time.Time) { tokens.MarkRevoked(jti, exp) },
			OnResync: func() {
				go func() {
					rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := tokens.Reload(rctx); err != nil {
						log.Warn("reload revoked tokens", "err", err)
					}
				}()
			},
		}
	}

	// The socket server needs the actor system and the actors' stats read the socket
	// server's counters: the pointer closes that loop.
	var sockets atomic.Pointer[ws.Server]
	grace := cfg.OfflineGrace
	if grace == 0 {
		grace = -1 // -offline-grace 0: none (a zero in actors.Config means its default)
	}
	// For these limits 0 means none; in actors.Config a zero means the default, so
	// none is negative there.
	noneIsNegative := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	sys, err := actors.Start(actors.Config{
		PingInterval: cfg.PingInterval, PongTimeout: cfg.PongTimeout, OfflineGrace: grace,
		MaxConnsPerUser:   noneIsNegative(cfg.MaxConnsPerUser),
		MaxRoomsPerSocket: noneIsNegative(cfg.MaxRoomsPerSocket),
		RoomListMax:       noneIsNegative(cfg.RoomListMax),
		GlobalPresence:    actors.GlobalPresence(cfg.GlobalPresence),
		Verifier:          verifier{tokens},
		RoomVerifier:      roomVerifier{tokens},
		Directory:         directory{store},
		Writer:            presenceWriter{store},
		Logger:            log.With("component", "actors"),
		ExtraStats:        func() map[string]any { return socketStats(sockets.Load()) },
		Redis:             redis,
	})
	if err != nil {
		return err
	}
	sockets.Store(ws.NewServer(cfg.wsConfig(log.With("component", "ws")), newPresenceHandler(sys, log.With("component", "ws"))))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.New(metrics.Sources{Actors: sys, Sockets: sockets.Load().Stats, RedisUp: sys.RedisUp}))
	var ready []apihttp.Check
	if !single {
		ready = append(ready, apihttp.Check{Name: "redis", Fn: sys.RedisReady})
	}
	app, err := apihttp.New(apihttp.Config{
		Store: store, Tokens: tokens, Hasher: hasher, Presence: sys,
		Logger: log.With("component", "http"), Registry: reg, Gatherer: reg, Ready: ready,
		SPA: web.Dist(), ClientIP: cfg.proxies.Of, MetricsElsewhere: cfg.MetricsAddr != "",
		Throttle: apihttp.ThrottleConfig{RegisterPerIP: cfg.RegisterRate},
		Mount: func(app *fiber.App) {
			sockets.Load().Mount(app, "/websocket/")
			sockets.Load().Mount(app, "/socket.io/")
		},
	})
	if err != nil {
		return err
	}

	raw, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usagef("listen on %s: %v", cfg.Addr, err)
	}
	ln := connlimit.Wrap(raw, cfg.MaxConns, log.With("component", "listener"))
	reg.MustRegister(metrics.NewListener(ln))
	served := make(chan error, 2)
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(cfg.MetricsAddr, reg, served)
		if err != nil {
			ln.Close()
			return err
		}
		defer msrv.Close()
		log.Info("metrics listening", "addr", msrv.Addr)
	}
	log.Info("presenced listening", "addr", ln.Addr().String(), "db", redactDSN(cfg.DB),
		"redis", redactDSN(cfg.Redis), "node", sys.Node(), "max_conns", cfg.MaxConns)
	go func() { served <- app.Listener(ln) }()

	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case err := <-served:
			return fmt.Errorf("serving: %w", err)
		case <-purge.C:
			tokens.PurgeRevoked()
			if _, err := store.PurgeRevokedTokens(ctx, time.Now()); err != nil {
				log.Warn("purge revoked tokens", "err", err)
			}
		}
	}

	// Ordered shutdown. A second signal now kills the process at once.
	stopSignals()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := sockets.Load().Shutdown(sctx); err != nil {
		log.Warn("closing sockets", "err", err)
	}
	if err := sys.Shutdown(sctx); err != nil {
		log.Warn("stopping actors", "err", err)
	}
	if err := app.ShutdownWithContext(sctx); err != nil {
		log.Warn("stopping http", "err", err)
	}
	if single {
		if _, err := store.MarkAllOffline(sctx, time.Now()); err != nil {
			return fmt.Errorf("mark users offline at shutdown: %w", err)
		}
	}
	log.Info("stopped")
	return nil
}

// serveMetrics serves /metrics alone on addr (-metrics-addr), so that the figures can
// stay on a private interface while the main port faces the internet. The returned
// server's Addr is the bound address.
func serveMetrics(addr string, g prometheus.Gatherer, failed chan<- error) (*nethttp.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("-metrics-addr: listen on %s: %v", addr, err)
	}
	mux := nethttp.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	srv := &nethttp.Server{Addr: l.Addr().String(), Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
			failed <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	return srv, nil
}

// socketStats are the transport figures of server-action:stats.
func socketStats(s *ws.Server) map[string]any {
	if s == nil {
		return nil
	}
	st := s.Stats()
	return map[string]any{
		"sessions":       map[string]int64{"polling": st.SessionsPolling, "websocket": st.SessionsWebsocket},
		"bytes_in":       st.BytesIn,
		"bytes_out":      st.BytesOut,
		"slow_consumers": st.SlowConsumers,
	}
}
