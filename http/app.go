package http

import (
	"context"
	"io/fs"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/persistence"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Presence is what the API needs of the presence system.
type Presence interface {
	// Online is the current snapshot of who is online; never nil.
	Online() *actors.Snapshot
	// LoggedIn reports an HTTP login (or registration): the user counts as online for
	// two sweeps even before any socket binds.
	LoggedIn(u actors.User, jti string, expiresAt time.Time)
	// TokenRevoked unbinds every socket bound by the user's token with that id.
	TokenRevoked(userID int64, jti string, expiresAt time.Time)
	// RoomPresence is a room as last published (empty when nobody is in it). It may
	// wait briefly for the room's actor.
	RoomPresence(ctx context.Context, room string) (actors.RoomPresence, error)
}

// Check is a named readiness probe (the database, Redis).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Config wires the API to the rest of the server.
type Config struct {
	Store    persistence.Store
	Tokens   *auth.Tokens
	Hasher   *auth.Hasher
	Presence Presence
	Logger   *slog.Logger

	// Registry receives this package's metrics; Gatherer is served at /metrics.
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer

	Ready    []Check              // /readyz; the store is always checked
	Mount    func(app *fiber.App) // adds routes (Socket.IO) before the SPA fallback
	SPA      fs.FS                // the built app (index.html at its root); nil serves a placeholder
	Throttle ThrottleConfig       // login and registration limits
	// ClientIP names the client of a request (throttles and logs key on it): the peer,
	// or behind trusted proxies the client they name (internal/clientip). nil: the peer.
	ClientIP func(c *fiber.Ctx) string
	// MetricsElsewhere: /metrics is served on a listener of its own (-metrics-addr);
	// this app answers 404 there.
	MetricsElsewhere bool
	BodyLimit        int              // bytes; zero means 1 MiB
	PageSize         int              // /api/users/ page size; zero means 50
	Now              func() time.Time // for throttling; nil means time.Now
}

type server struct {
	cfg      Config
	throttle *loginThrottle
	metrics  *metrics
}

// New builds the fiber app with every route of the contract.
func New(cfg Config) (*fiber.App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	if cfg.Registry == nil {
		r := prometheus.NewRegistry()
		cfg.Registry, cfg.Gatherer = r, r
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, throttle: newLoginThrottle(cfg.Throttle, cfg.Now), metrics: m}
	spa, err := newStatic(cfg.SPA)
	if err != nil {
		return nil, err
	}

	app := fiber.New(fiber.Config{
		AppName:               "presenced",
		DisableStartupMessage: true,
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          errorHandler(cfg.Logger),
		// Every string a handler takes from the request (headers, params, query, body)
		// is its own copy, not a view of fasthttp's request buffer, which is reused by
		// the next request on any connection once the handler returns. Without this, a
		// string kept beyond the handler (a cache key, an actor message, a goroutine's
		// argument) silently changes under its keeper: the verified-token cache once
		// answered requests as another user that way. The copies cost little next to
		// a request (README, "Limits and abuse", has the figures).
		Immutable: true,
		// A connection that sends no complete request within 10 s is closed (slow
		// clients and slowloris), and a keep-alive connection idle for 60 s. Neither
		// bounds a handler: long-polls and websockets manage their own deadlines.
		ReadTimeout: 10 * time.Second,
		IdleTimeout: 60 * time.Second,
		// ReadBufferSize stays at fasthttp's 4 KiB (the request header size limit);
		// websockets give it back after the upgrade (see ws.Server.Mount).
		// Parse multipart bodies in the handler, where a broken one becomes a DRF 400.
		DisablePreParseMultipartForm: true,
		// Bodies arrive as streams so that limitBody can answer an oversize one with a
		// DRF 413 after draining it: refusing it unread would reset the connection
		// before the client reads the answer.
		StreamRequestBody: true,
	})
	app.Use(s.accessLog, s.recoverPanics, s.limitBody)

	// Paths that only take POST answer other methods 405 in DRF's words (not the SPA).
	for _, p := range []string{"/api/register/", "/api/logout/", "/api-token-auth/", "/api/rooms/token/"} {
		app.Add(fiber.MethodGet, p, methodNotAllowed)
		app.Add(fiber.MethodHead, p, methodNotAllowed)
	}
	api := app.Group("/api")
	api.Post("/register/", s.register)
	api.Post("/logout/", s.requireToken, s.logout)
	api.Get("/me/", s.requireToken, s.me)
	api.Get("/users/online/", s.requireToken, s.onlineUsers)
	api.Get("/users/presence/", s.requireToken, s.usersPresence)
	api.Post("/users/presence/", s.requireToken, s.usersPresence)
	api.Post("/rooms/token/", s.requireToken, s.roomToken)
	api.Get("/rooms/:room/presence/", s.requireToken, s.roomPresence)
	api.Get("/users/", s.requireToken, s.listUsers)
	api.All("/*", func(c *fiber.Ctx) error { return detail(fiber.StatusNotFound, msgNotFound) })
	app.Post("/api-token-auth/", s.login)

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.ready)
	switch {
	case cfg.MetricsElsewhere:
		app.All("/metrics", func(c *fiber.Ctx) error { return detail(fiber.StatusNotFound, msgNotFound) })
	case cfg.Gatherer != nil:
		app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{})))
	}
	if cfg.Mount != nil {
		cfg.Mount(app)
	}
	app.Use(spa.serve)
	return app, nil
}

// clientIP is the request's client address (a string of its own, safe to keep).
func (s *server) clientIP(c *fiber.Ctx) string { return s.cfg.ClientIP(c) }

func methodNotAllowed(c *fiber.Ctx) error {
	e := detail(fiber.StatusMethodNotAllowed, `Method "`+c.Method()+`" not allowed.`)
	e.header = map[string]string{fiber.HeaderAllow: "POST, OPTIONS"}
	return e
}

func (s *server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := append([]Check{{Name: "database", Fn: s.cfg.Store.Ping}}, s.cfg.Ready...)
	for _, ch := range checks {
		if err := ch.Fn(ctx); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
				"status": "unavailable", "detail": ch.Name + ": " + err.Error(),
			})
		}
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

type metrics struct {
	logins *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "presenced_logins_total",
			Help: "Token login attempts by result (success, failure, throttled).",
		}, []string{"result"}),
	}
	for _, r := range []string{"success", "failure", "throttled"} {
		m.logins.WithLabelValues(r)
	}
	if err := reg.Register(m.logins); err != nil {
		return nil, err
	}
	return m, nil
}
