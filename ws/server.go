package ws

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/internal/jsonscan"
	"github.com/presenced/presenced/ws/internal/netpoll"
	"github.com/valyala/fasthttp"
)

// Server serves Socket.IO on the paths it is mounted at.
type Server struct {
	cfg     Config
	h       Handler
	log     *slog.Logger
	origins originPolicy
	reg     *registry
	stats   counters
	names   internTable
	ips     *ipLimit        // nil: no per-address limit
	poller  *netpoll.Poller // nil: readers are held (no Config.ParkIdleReaders, or no epoll)
	upgrade fiber.Handler   // the contrib websocket handler

	closing  atomic.Bool
	mounted  atomic.Pointer[fiber.App] // the app whose connection states are watched
	getConns sync.Map                  // net.Conn → *session: the connection of a session's last GET
	active   atomic.Int64              // handlers, websocket goroutines and finalizers running
	stop     chan struct{}
	stopOnce sync.Once
	hbDone   chan struct{}
}

// NewServer returns a Server calling h for every connection. Its heartbeat
// goroutine runs until Shutdown.
func NewServer(cfg Config, h Handler) *Server {
	cfg = cfg.withDefaults()
	srv := &Server{
		cfg:     cfg,
		h:       h,
		log:     cfg.Logger,
		origins: newOriginPolicy(cfg.AllowedOrigins),
		reg:     newRegistry(),
		ips:     newIPLimit(cfg.MaxConnsPerIP),
		stop:    make(chan struct{}),
		hbDone:  make(chan struct{}),
	}
	if cfg.ParkIdleReaders {
		srv.poller = sharedPoller(cfg.Logger)
	}
	srv.upgrade = websocket.New(srv.serveWS, websocket.Config{
		Origins:         []string{"*"}, // checked before, per Config.AllowedOrigins
		ReadBufferSize:  64,            // the library only answers the handshake: wsReader reads frames
		WriteBufferPool: &sync.Pool{},  // and the writer writes them
		RecoverHandler:  srv.recoverWS,
	})
	go srv.heartbeat()
	return srv
}

// The process's poller, shared by every Server (one goroutine in epoll_wait for all
// of them), made on first use and never closed: its registrations end with their
// connections.
var (
	pollerOnce sync.Once
	poller     *netpoll.Poller
)

func sharedPoller(log *slog.Logger) *netpoll.Poller {
	pollerOnce.Do(func() {
		p, err := netpoll.New()
		if err != nil {
			log.Info("ws: idle websockets keep a reader goroutine", "err", err)
			return
		}
		poller = p
	})
	return poller
}

// recoverWS replaces contrib's default, which writes JSON into the socket.
func (srv *Server) recoverWS(*websocket.Conn) {
	if r := recover(); r != nil {
		srv.log.Error("ws: panic in websocket handler", "panic", r)
	}
}

// Mount serves Socket.IO at path (with and without a trailing slash), e.g.
// Mount(app, "/socket.io/"). It makes app's fasthttp server leave hijacked
// connections open when their handler returns: a websocket outlives the
// upgrade handler (see serveWS), and the Server closes it itself.
func (srv *Server) Mount(app *fiber.App, path string) {
	app.Server().KeepHijackedConns = true
	if srv.mounted.CompareAndSwap(nil, app) {
		prev := app.Server().ConnState
		app.Server().ConnState = func(c net.Conn, st fasthttp.ConnState) {
			if prev != nil {
				prev(c, st)
			}
			if st == fasthttp.StateClosed {
				srv.pollConnClosed(c)
			}
		}
	}
	p := "/" + strings.Trim(path, "/")
	app.All(p, srv.serve)
	if p != "/" {
		app.All(p+"/", srv.serve)
	}
}

// Stats returns the counters; cheap (atomic loads).
func (srv *Server) Stats() Stats { return srv.stats.snapshot() }

// Shutdown closes every session (an engine-level close, so clients
// reconnect, to another node or to this one restarted), refuses new ones,
// and waits until every websocket goroutine, pending poll and OnClose has
// returned, or ctx ends.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.closing.Store(true)
	srv.reg.each(nil, func(s *session) { s.close(closereason.ServerShutdown, true) })
	srv.stopOnce.Do(func() { close(srv.stop) })
	select {
	case <-srv.hbDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for srv.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	// Polling sessions whose client never came for the close packet: the
	// heartbeat that would have expired them is gone.
	srv.reg.each(nil, func(s *session) { s.close(closereason.ServerShutdown, false) })
	return nil
}

// enter counts a running handler; false once Shutdown started.
func (srv *Server) enter() bool {
	srv.active.Add(1)
	if srv.closing.Load() {
		srv.active.Add(-1)
		return false
	}
	return true
}

func (srv *Server) leave() { srv.active.Add(-1) }

func (srv *Server) gauge(t transportKind) *atomic.Int64 {
	if t == transportWebsocket {
		return &srv.stats.websocket
	}
	return &srv.stats.polling
}

// heartbeat is the one goroutine that drives every session's timers.
func (srv *Server) heartbeat() {
	defer close(srv.hbDone)
	t := time.NewTicker(srv.cfg.HeartbeatTick)
	defer t.Stop()
	var buf []*session
	for {
		select {
		case <-srv.stop:
			return
		case now := <-t.C:
			buf = srv.reg.each(buf, func(s *session) { s.tick(now) })
		}
	}
}

// Engine.IO HTTP errors, exactly as the reference server words them.
type engineError struct {
	status int
	body   []byte
}

func newEngineError(status, code int, msg string) engineError {
	b := []byte(`{"code":` + strconv.Itoa(code) + `,"message":`)
	b = jsonscan.AppendString(b, msg)
	return engineError{status: status, body: append(b, '}')}
}

var (
	errTransportUnknown  = newEngineError(fiber.StatusBadRequest, 0, "Transport unknown")
	errUnknownSID        = newEngineError(fiber.StatusBadRequest, 1, "Session ID unknown")
	errBadHandshake      = newEngineError(fiber.StatusBadRequest, 2, "Bad handshake method")
	errBadRequest        = newEngineError(fiber.StatusBadRequest, 3, "Bad request")
	errForbidden         = newEngineError(fiber.StatusForbidden, 4, "Forbidden")
	errUnsupportedEngine = newEngineError(fiber.StatusBadRequest, 5, "Unsupported protocol version")
	// errTooManyConns: Config.MaxConnsPerIP. Code 4 is the reference's code
	// for a request the server refuses (its allowRequest), with its own message.
	errTooManyConns = newEngineError(fiber.StatusTooManyRequests, 4, "too many connections")
)

func writeEngineError(c *fiber.Ctx, e engineError) error {
	c.Status(e.status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(e.body)
}

// serve is the fiber handler for every Engine.IO request on a mounted path.
func (srv *Server) serve(c *fiber.Ctx) error {
	if !srv.enter() {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	defer srv.leave()

	origin := c.Get(fiber.HeaderOrigin)
	isWS := websocket.IsWebSocketUpgrade(c)
	allowed := srv.origins.allowed(origin, c.Hostname())
	if c.Method() == fiber.MethodOptions && !isWS {
		if !allowed {
			return writeEngineError(c, errForbidden)
		}
		return preflight(c, origin)
	}
	q := c.Context().QueryArgs()
	var t transportKind
	switch string(q.Peek("transport")) {
	case "polling":
		t = transportPolling
	case "websocket":
		t = transportWebsocket
	default:
		return writeEngineError(c, errTransportUnknown)
	}
	if !allowed {
		return writeEngineError(c, errForbidden)
	}
	if !isWS {
		setCORS(c, origin)
	}
	if string(q.Peek("EIO")) != "4" {
		return writeEngineError(c, errUnsupportedEngine)
	}
	if (t == transportWebsocket) != isWS {
		// websocket transport without upgrade headers, or the reverse
		return writeEngineError(c, errBadRequest)
	}

	sid := q.Peek("sid")
	if len(sid) == 0 {
		if c.Method() != fiber.MethodGet {
			return writeEngineError(c, errBadHandshake)
		}
		if t == transportWebsocket {
			hs := srv.captureHandshake(c)
			if srv.ips.full(hs.remoteIP, true) {
				srv.stats.ipRefused.Add(1)
				return writeEngineError(c, errTooManyConns)
			}
			c.Locals(wsLocalsKey, &wsStart{hs: hs})
			return srv.upgrade(c)
		}
		return srv.pollHandshake(c)
	}
	s := srv.reg.get(sid)
	if s == nil || s.expireLate(time.Now()) {
		return writeEngineError(c, errUnknownSID)
	}
	if t == transportWebsocket {
		s.mu.Lock()
		ok := s.state != stateClosed && s.transport == transportPolling && s.probe == nil
		s.mu.Unlock()
		if !ok {
			return writeEngineError(c, errBadRequest)
		}
		c.Locals(wsLocalsKey, &wsStart{sess: s})
		return srv.upgrade(c)
	}
	switch c.Method() {
	case fiber.MethodGet:
		return s.pollGET(c)
	case fiber.MethodPost:
		return s.pollPOST(c)
	}
	return writeEngineError(c, errBadRequest)
}

// captureHandshake copies what Conn exposes out of fiber's reused buffers.
func (srv *Server) captureHandshake(c *fiber.Ctx) handshake {
	return handshake{
		remoteIP:  srv.clientIP(c),
		userAgent: strings.Clone(c.Get(fiber.HeaderUserAgent)),
		origin:    strings.Clone(c.Get(fiber.HeaderOrigin)),
		rawQuery:  string(c.Context().QueryArgs().QueryString()),
	}
}

// clientIP is the request's client address (Config.ClientIP), a string of
// its own.
func (srv *Server) clientIP(c *fiber.Ctx) string {
	if f := srv.cfg.ClientIP; f != nil {
		return strings.Clone(f(c))
	}
	return c.Context().RemoteIP().String()
}
