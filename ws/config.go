package ws

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Config tunes a Server. Every zero value means the documented default.
type Config struct {
	// PingInterval is the Engine.IO heartbeat period. Zero → 25s.
	PingInterval time.Duration
	// PingTimeout: after a ping, something must arrive within it. Zero → 20s.
	PingTimeout time.Duration
	// MaxPayload in bytes, advertised in the handshake and enforced on both
	// transports (websocket close 1009, polling 413). Zero → 1,000,000.
	MaxPayload int
	// UpgradeTimeout bounds the polling→websocket probe. Zero → 10s.
	UpgradeTimeout time.Duration
	// ConnectTimeout: a session with no Socket.IO CONNECT within it is
	// closed. Zero → 45s.
	ConnectTimeout time.Duration
	// WriteTimeout bounds every websocket write. Zero → 10s.
	WriteTimeout time.Duration
	// AckTimeout bounds the wait for a client's answer to EmitWithAck. Zero → 30s.
	AckTimeout time.Duration
	// OutboundQueue is the number of frames a connection may have queued and
	// not yet handed to the kernel (websocket) or to a GET (polling); one
	// more closes it as a slow consumer. Everything counts: the application's
	// frames, acks and errors answering the client, and the websocket control
	// frames (pongs) answering its pings. The websocket writer takes the whole
	// queue per write, so only a client that stopped reading (or a burst of
	// that many frames faster than one goroutine switch) reaches it; while
	// that write waits (up to WriteTimeout) it holds one batch more. Zero → 64.
	OutboundQueue int
	// OutboundBytes bounds the bytes of those frames the same way; a frame of
	// any size is accepted into an empty queue (a large snapshot still goes
	// out), so a connection holds at most OutboundBytes plus one frame, plus
	// the batch being written. Zero → 4 MiB.
	OutboundBytes int
	// AllowedOrigins for the Origin check on both transports: empty means the
	// request's own host only (the Host header as fiber reports it, so behind
	// a proxy that rewrites Host list the public origins instead); ["*"] any
	// origin; otherwise exact scheme://host[:port] values (case-insensitive).
	// A request without an Origin header is always allowed (not a browser).
	AllowedOrigins []string
	// MaxConnsPerIP bounds the sessions one client address may have open on
	// this Server (see iplimit.go for how each transport is refused). Zero
	// or negative: no limit.
	MaxConnsPerIP int
	// ClientIP names a request's client address, for MaxConnsPerIP and
	// Conn.RemoteIP (e.g. internal/clientip's Resolver.Of, which honours
	// trusted proxies). It must return a string that outlives the request.
	// nil: the TCP peer's address.
	ClientIP func(c *fiber.Ctx) string
	// HoldIdleReaders keeps a reader goroutine blocked on every idle websocket, as
	// before the poller. False (the default, on Linux): an idle websocket holds no
	// goroutine; its reader parks the socket in an epoll set and returns, and a new
	// one starts when bytes arrive (internal/netpoll). Where epoll is missing, or the
	// connection has no descriptor (TLS in-process), readers are held regardless.
	HoldIdleReaders bool
	// Logger; nil discards.
	Logger *slog.Logger
}

const (
	defaultPingInterval   = 25 * time.Second
	defaultPingTimeout    = 20 * time.Second
	defaultMaxPayload     = 1_000_000
	defaultUpgradeTimeout = 10 * time.Second
	defaultConnectTimeout = 45 * time.Second
	defaultWriteTimeout   = 10 * time.Second
	defaultAckTimeout     = 30 * time.Second
	defaultOutboundQueue  = 64
	defaultOutboundBytes  = 4 << 20
)

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = defaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = defaultMaxPayload
	}
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = defaultUpgradeTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = defaultConnectTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = defaultWriteTimeout
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = defaultAckTimeout
	}
	if c.OutboundQueue <= 0 {
		c.OutboundQueue = defaultOutboundQueue
	}
	if c.OutboundBytes <= 0 {
		c.OutboundBytes = defaultOutboundBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// tick is the heartbeat goroutine's period: fine enough that pings are late
// by a small fraction of PingTimeout (the client gives up after
// PingInterval+PingTimeout without a ping), coarse enough to cost nothing.
func (c Config) tick() time.Duration {
	t := min(c.PingInterval, c.PingTimeout) / 10
	return min(max(t, 5*time.Millisecond), 500*time.Millisecond)
}
