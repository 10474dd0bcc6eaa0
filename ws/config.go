package ws

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Config tunes a Server. Every zero value means the documented default: the
// Default* constants, or for the derived timers (PollTimeout,
// PollCloseTimeout, HeartbeatTick) a formula over the other fields after
// their own defaults are applied.
type Config struct {
	// PingInterval is the Engine.IO heartbeat period: a ping is due every
	// PingInterval from the handshake (a fixed schedule). Zero →
	// DefaultPingInterval (25s).
	PingInterval time.Duration
	// PingTimeout: something must arrive within it of a ping's due time, or
	// the session is closed (PingTimeout). Zero → DefaultPingTimeout (20s).
	PingTimeout time.Duration
	// MaxPayload in bytes, advertised in the handshake and enforced on both
	// transports (websocket close 1009, polling 413). Zero →
	// DefaultMaxPayload (1,000,000).
	MaxPayload int
	// UpgradeTimeout bounds the polling→websocket probe. Zero →
	// DefaultUpgradeTimeout (10s).
	UpgradeTimeout time.Duration
	// ConnectTimeout: a session without a Socket.IO connection for this long
	// (no CONNECT since the handshake, or none since the client's
	// DISCONNECT) is closed. Zero → DefaultConnectTimeout (45s).
	ConnectTimeout time.Duration
	// WriteTimeout bounds every websocket write of data frames. Zero →
	// DefaultWriteTimeout (10s).
	WriteTimeout time.Duration
	// ControlTimeout bounds the writes of websocket control frames that must
	// not wait long (a probe's pong, the close frame), a close frame's wait
	// for a running writer, and the wait for the client's answer to the
	// server's close frame. Zero → DefaultControlTimeout (1s).
	ControlTimeout time.Duration
	// AckTimeout bounds the wait for a client's answer to EmitWithAck. Zero →
	// DefaultAckTimeout (30s).
	AckTimeout time.Duration
	// PollTimeout is the longest a pending polling GET is held with nothing
	// to send; then it answers a noop (a ping is due well before, so only a
	// stalled heartbeat reaches it). Zero → PingInterval + PingTimeout.
	PollTimeout time.Duration
	// PollCloseTimeout: a polling session closed in an orderly way waits this
	// long for its client to fetch the last frames and the close packet, then
	// it is cut. Zero → PingTimeout + UpgradeTimeout.
	PollCloseTimeout time.Duration
	// HeartbeatTick is the period of the one heartbeat goroutine that sends
	// every session's pings and enforces its timeouts: timers fire up to one
	// tick late. Zero → min(PingInterval, PingTimeout)/10, within
	// [5ms, 500ms]: fine enough that pings are late by a small fraction of
	// PingTimeout, coarse enough to cost nothing.
	HeartbeatTick time.Duration
	// OutboundQueue is the number of frames a connection may have queued and
	// not yet handed to the kernel (websocket) or to a GET (polling); one
	// more closes it as a slow consumer. Everything counts: the application's
	// frames, acks and errors answering the client, and the websocket control
	// frames (pongs) answering its pings. The websocket writer takes the whole
	// queue per write, so only a client that stopped reading (or a burst of
	// that many frames faster than one goroutine switch) reaches it; while
	// that write waits (up to WriteTimeout) it holds one batch more. Zero →
	// DefaultOutboundQueue (64).
	OutboundQueue int
	// OutboundBytes bounds the bytes of those frames the same way; a frame of
	// any size is accepted into an empty queue (a large snapshot still goes
	// out), so a connection holds at most OutboundBytes plus one frame, plus
	// the batch being written. Zero → DefaultOutboundBytes (4 MiB).
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
	// ParkIdleReaders makes an idle websocket hold no goroutine: its reader parks
	// the socket in an epoll set when it has read it dry and returns, and a new one
	// starts when bytes arrive (internal/netpoll). It halves an idle socket's memory
	// (TestMemoryPerConnection: 4.2 KB instead of 8.7 KB) but costs CPU on busy
	// sockets: a wake-up per message (about 1.5× the CPU per pong at 10,000
	// sockets pinging every 250 ms), so it is for many mostly idle sockets. False
	// (the default): one blocked reader per socket. Without epoll, or on a
	// connection without a descriptor (TLS in-process), readers are held regardless.
	ParkIdleReaders bool
	// Logger; nil discards.
	Logger *slog.Logger
}

// Defaults of Config's fields.
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultUpgradeTimeout = 10 * time.Second
	DefaultConnectTimeout = 45 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultControlTimeout = time.Second
	DefaultAckTimeout     = 30 * time.Second
	DefaultOutboundQueue  = 64
	DefaultOutboundBytes  = 4 << 20
)

// The bounds of the default HeartbeatTick.
const (
	minHeartbeatTick = 5 * time.Millisecond
	maxHeartbeatTick = 500 * time.Millisecond
)

func (c Config) withDefaults() Config {
	setDefault(&c.PingInterval, DefaultPingInterval)
	setDefault(&c.PingTimeout, DefaultPingTimeout)
	setDefault(&c.MaxPayload, DefaultMaxPayload)
	setDefault(&c.UpgradeTimeout, DefaultUpgradeTimeout)
	setDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&c.WriteTimeout, DefaultWriteTimeout)
	setDefault(&c.ControlTimeout, DefaultControlTimeout)
	setDefault(&c.AckTimeout, DefaultAckTimeout)
	setDefault(&c.OutboundQueue, DefaultOutboundQueue)
	setDefault(&c.OutboundBytes, DefaultOutboundBytes)
	setDefault(&c.PollTimeout, c.PingInterval+c.PingTimeout)
	setDefault(&c.PollCloseTimeout, c.PingTimeout+c.UpgradeTimeout)
	tick := min(c.PingInterval, c.PingTimeout) / 10
	setDefault(&c.HeartbeatTick, min(max(tick, minHeartbeatTick), maxHeartbeatTick))
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// setDefault replaces a zero or negative value with def.
func setDefault[T time.Duration | int](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
