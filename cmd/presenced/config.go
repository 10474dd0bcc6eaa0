package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/internal/clientip"
	"github.com/presenced/presenced/ws"
)

// config is every flag of the contract. Each has an environment twin
// (PRESENCED_ + the flag name in upper snake case); a flag given on the command line
// wins over the environment.
type config struct {
	Addr              string
	DB                string
	Redis             string
	RedisChannel      string
	RedisPrefix       string
	JWTSecret         string
	TokenTTL          time.Duration
	PingInterval      time.Duration
	PongTimeout       time.Duration
	OfflineGrace      time.Duration
	AllowedOrigins    string
	LogLevel          string
	LogFormat         string
	BcryptCost        int
	MaxConns          int
	MaxConnsPerIP     int
	RegisterRate      int
	TrustedProxies    string
	MetricsAddr       string
	MaxConnsPerUser   int
	MaxRoomsPerSocket int
	RoomListMax       int
	GlobalPresence    string
	WSParkIdle        bool
	EIOPingInterval   time.Duration
	EIOPingTimeout    time.Duration
	ConnectTimeout    time.Duration

	logLevel slog.Level
	origins  []string
	proxies  *clientip.Resolver
}

// usageError is a configuration mistake: reported in one line, exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

func envName(flagName string) string {
	return "PRESENCED_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func newFlagSet(c *config, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("presenced", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", ":8888", "HTTP + Socket.IO listen address (one port for everything)")
	fs.StringVar(&c.DB, "db", "sqlite://./data/presenced.db", "database: sqlite://PATH (embedded default) or postgres://…")
	fs.StringVar(&c.Redis, "redis", "", "empty: single node, in-process bus; redis://host:port/db: Redis bridge on, multi-node")
	fs.StringVar(&c.RedisChannel, "redis-channel", "notifications", "the pub/sub channel shared with other systems")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", "presenced:", "prefix of every key and stream this deployment writes")
	fs.StringVar(&c.JWTSecret, "jwt-secret", "", "HS256 secret (32+ bytes); empty: generated once and kept beside the SQLite file")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 24*time.Hour, "lifetime of an access token")
	fs.DurationVar(&c.PingInterval, "ping-interval", 10*time.Second, "period of the presence sweep (server-action:ping broadcast)")
	fs.DurationVar(&c.PongTimeout, "pong-timeout", 0, "a socket that answers no sweep for this long is treated as gone (default max(2×ping-interval, 5s))")
	fs.DurationVar(&c.EIOPingInterval, "eio-ping-interval", ws.DefaultPingInterval, "Engine.IO heartbeat: the server pings every socket this often (the handshake's pingInterval)")
	fs.DurationVar(&c.EIOPingTimeout, "eio-ping-timeout", ws.DefaultPingTimeout, "a socket that answers no Engine.IO ping within this is closed (the handshake's pingTimeout)")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", ws.DefaultConnectTimeout, "an Engine.IO session without a Socket.IO connection for this long is closed")
	fs.DurationVar(&c.OfflineGrace, "offline-grace", 2*time.Second, "delay between a user's last socket closing and the user going offline")
	fs.StringVar(&c.AllowedOrigins, "allowed-origins", "", "comma list of origins for websocket/polling; empty: same host only; *: any")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", auth.DefaultBcryptCost, "bcrypt work factor of new password hashes (4–31)")
	fs.IntVar(&c.MaxConns, "max-conns", defaultMaxConns(), "open TCP connections on this node; beyond it new ones are closed at once (default 90% of the file limit; 0: no limit)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", 500, "Socket.IO sessions from one client IP on this node (0: no limit)")
	fs.IntVar(&c.MaxConnsPerUser, "max-conns-per-user", 20, "bound sockets of one user across the cluster (0: no limit)")
	fs.IntVar(&c.MaxRoomsPerSocket, "max-rooms-per-socket", 100, "rooms one socket may be in (0: no limit)")
	fs.IntVar(&c.RoomListMax, "room-list-max", 1000, "a room with more members is delivered in count mode to every member (0: never)")
	fs.StringVar(&c.GlobalPresence, "global-presence", "all", "what server-action:update_user_online carries: all (lists and diffs), count ({version, count}) or off (not sent)")
	fs.BoolVar(&c.WSParkIdle, "ws-park-idle", false, "an idle websocket waits in an epoll set and holds no reader: about half the memory per idle socket, more CPU per message on busy ones (default: a blocked reader per socket)")
	fs.IntVar(&c.RegisterRate, "register-rate", 10, "registrations per client IP per minute (0: no limit)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma list of CIDRs whose X-Forwarded-For names the client (empty: none)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "empty: /metrics on the main port; else a listener of its own (e.g. 127.0.0.1:9090) and none on the main port")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: presenced [flags]\n       presenced createsuperuser -username U -email E\n\n")
		fmt.Fprintf(out, "Every flag has an environment twin, e.g. -addr ↔ PRESENCED_ADDR; flags win.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseConfig reads flags from args and their twins from getenv.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (*config, error) {
	c := &config{}
	fs := newFlagSet(c, out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || envErr != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = usagef("invalid value %q for %s: %v", v, envName(f.Name), err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	return c, c.validate()
}

func (c *config) validate() error {
	for name, d := range map[string]time.Duration{"token-ttl": c.TokenTTL, "ping-interval": c.PingInterval, "offline-grace": c.OfflineGrace + 1,
		"eio-ping-interval": c.EIOPingInterval, "eio-ping-timeout": c.EIOPingTimeout, "connect-timeout": c.ConnectTimeout} {
		if d <= 0 {
			return usagef("-%s must be positive", name)
		}
	}
	if c.PongTimeout < 0 {
		return usagef("-pong-timeout must be positive")
	}
	if c.PongTimeout == 0 {
		c.PongTimeout = max(2*c.PingInterval, 5*time.Second)
	}
	if c.PongTimeout < c.PingInterval {
		return usagef("-pong-timeout (%v) must be at least -ping-interval (%v)", c.PongTimeout, c.PingInterval)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < auth.MinSecretBytes {
		return usagef("-jwt-secret is %d bytes; it must be at least %d", len(c.JWTSecret), auth.MinSecretBytes)
	}
	switch {
	case strings.HasPrefix(c.DB, "sqlite://"):
		if strings.TrimPrefix(c.DB, "sqlite://") == "" {
			return usagef("-db sqlite:// needs a path, e.g. sqlite://./data/presenced.db")
		}
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
		if c.JWTSecret == "" {
			return usagef("-jwt-secret is required with PostgreSQL: every node must share one secret")
		}
	default:
		return usagef("-db %q: want sqlite://PATH or postgres://…", c.DB)
	}
	if c.Redis != "" {
		u, err := url.Parse(c.Redis)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return usagef("-redis %q: want redis://host:port/db", c.Redis)
		}
	}
	if c.RedisChannel == "" {
		return usagef("-redis-channel must not be empty")
	}
	switch c.GlobalPresence {
	case "all", "count", "off":
	default:
		return usagef("-global-presence %q: want all, count or off", c.GlobalPresence)
	}
	if err := c.logLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return usagef("-log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return usagef("-log-format %q: want text or json", c.LogFormat)
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return usagef("-bcrypt-cost %d: want 4–31", c.BcryptCost)
	}
	for name, v := range map[string]int{"max-conns": c.MaxConns, "max-conns-per-ip": c.MaxConnsPerIP, "max-conns-per-user": c.MaxConnsPerUser,
		"register-rate": c.RegisterRate, "max-rooms-per-socket": c.MaxRoomsPerSocket, "room-list-max": c.RoomListMax} {
		if v < 0 {
			return usagef("-%s %d: want 0 (no limit) or more", name, v)
		}
	}
	proxies, err := clientip.Parse(c.TrustedProxies)
	if err != nil {
		return usagef("-trusted-proxies: %v", err)
	}
	c.proxies = proxies
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return usagef("-metrics-addr %q: want host:port, e.g. 127.0.0.1:9090", c.MetricsAddr)
		}
	}
	for _, o := range strings.Split(c.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.origins = append(c.origins, o)
		}
	}
	return nil
}

// wsConfig is the Socket.IO server's configuration from the flags; log is its
// logger.
func (c *config) wsConfig(log *slog.Logger) ws.Config {
	return ws.Config{
		PingInterval:    c.EIOPingInterval,
		PingTimeout:     c.EIOPingTimeout,
		ConnectTimeout:  c.ConnectTimeout,
		AllowedOrigins:  c.origins,
		MaxConnsPerIP:   c.MaxConnsPerIP,
		ClientIP:        c.proxies.Of,
		ParkIdleReaders: c.WSParkIdle,
		Logger:          log,
	}
}

func (c *config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.logLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// redactDSN hides the password of a database or Redis URL for logs and messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// defaultMaxConns is 90 % of the process's descriptor limit (Go raises the soft limit
// to the hard one at start): the rest is left for the database, Redis, logs and the
// listener itself, so that the process never meets EMFILE on its own files.
func defaultMaxConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return 0
	}
	if lim.Cur > 1<<30 {
		return 1 << 30 * 9 / 10
	}
	return int(lim.Cur) * 9 / 10
}
