package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/ws"
)

func TestParseConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		check   func(*config) bool
		wantErr string
	}{
		{"defaults", nil, env(), func(c *config) bool {
			return c.Addr == ":8888" && c.DB == "sqlite://./data/presenced.db" && c.PingInterval == 10*time.Second &&
				c.PongTimeout == 20*time.Second && c.OfflineGrace == 2*time.Second && c.RedisChannel == "notifications" &&
				c.RedisPrefix == "presenced:" && c.TokenTTL == 24*time.Hour
		}, ""},
		{"pong timeout floor", []string{"-ping-interval", "1s"}, env(), func(c *config) bool { return c.PongTimeout == 5*time.Second }, ""},
		{"environment twin", nil, env("PRESENCED_ADDR", ":9000", "PRESENCED_PING_INTERVAL", "3s"), func(c *config) bool {
			return c.Addr == ":9000" && c.PingInterval == 3*time.Second && c.PongTimeout == 6*time.Second
		}, ""},
		{"flag wins over environment", []string{"-addr", ":9001"}, env("PRESENCED_ADDR", ":9000"), func(c *config) bool { return c.Addr == ":9001" }, ""},
		{"origins", []string{"-allowed-origins", "https://a.org, https://b.org"}, env(), func(c *config) bool {
			return len(c.origins) == 2 && c.origins[1] == "https://b.org"
		}, ""},
		{"bad duration flag", []string{"-ping-interval", "soon"}, env(), nil, "invalid value"},
		{"bad duration env", nil, env("PRESENCED_OFFLINE_GRACE", "x"), nil, "PRESENCED_OFFLINE_GRACE"},
		{"negative duration", []string{"-token-ttl", "-1h"}, env(), nil, "must be positive"},
		{"short secret", []string{"-jwt-secret", "short"}, env(), nil, "at least 32"},
		{"postgres needs a secret", []string{"-db", "postgres://x@127.0.0.1/db"}, env(), nil, "-jwt-secret is required"},
		{"unknown db scheme", []string{"-db", "mysql://x"}, env(), nil, "want sqlite://PATH or postgres://"},
		{"bad redis url", []string{"-redis", "127.0.0.1:6379"}, env(), nil, "want redis://host:port/db"},
		{"bad log level", []string{"-log-level", "loud"}, env(), nil, "-log-level"},
		{"bad log format", []string{"-log-format", "xml"}, env(), nil, "-log-format"},
		{"pong timeout below ping", []string{"-ping-interval", "10s", "-pong-timeout", "1s"}, env(), nil, "at least -ping-interval"},
		{"stray argument", []string{"serve"}, env(), nil, "unexpected argument"},
		{"limit defaults", nil, env(), func(c *config) bool {
			return c.MaxConnsPerIP == 500 && c.MaxConnsPerUser == 20 && c.RegisterRate == 10 && c.MaxConns == defaultMaxConns() && c.MaxConns > 0 &&
				c.TrustedProxies == "" && c.MetricsAddr == "" && !c.proxies.Trusts(mustAddr("127.0.0.1"))
		}, ""},
		{"limits off through the environment", nil, env("PRESENCED_MAX_CONNS", "0", "PRESENCED_MAX_CONNS_PER_IP", "0", "PRESENCED_MAX_CONNS_PER_USER", "0", "PRESENCED_REGISTER_RATE", "0"), func(c *config) bool {
			return c.MaxConns == 0 && c.MaxConnsPerIP == 0 && c.MaxConnsPerUser == 0 && c.RegisterRate == 0
		}, ""},
		{"negative limit", []string{"-max-conns-per-ip", "-1"}, env(), nil, "-max-conns-per-ip -1: want 0 (no limit) or more"},
		{"negative register rate", []string{"-register-rate", "-5"}, env(), nil, "-register-rate"},
		{"trusted proxies", []string{"-trusted-proxies", "10.0.0.0/8, 127.0.0.1"}, env(), func(c *config) bool {
			return c.proxies.Trusts(mustAddr("10.1.2.3")) && c.proxies.Trusts(mustAddr("127.0.0.1")) && !c.proxies.Trusts(mustAddr("192.0.2.1"))
		}, ""},
		{"bad trusted proxy", []string{"-trusted-proxies", "10.0.0.0/99"}, env(), nil, "-trusted-proxies"},
		{"bad metrics address", []string{"-metrics-addr", "9090"}, env(), nil, "-metrics-addr"},
		{"scoped presence defaults", nil, env(), func(c *config) bool {
			return c.MaxRoomsPerSocket == 100 && c.RoomListMax == 1000 && c.GlobalPresence == "all"
		}, ""},
		{"scoped presence through the environment", nil, env("PRESENCED_MAX_ROOMS_PER_SOCKET", "0", "PRESENCED_ROOM_LIST_MAX", "5", "PRESENCED_GLOBAL_PRESENCE", "off"), func(c *config) bool {
			return c.MaxRoomsPerSocket == 0 && c.RoomListMax == 5 && c.GlobalPresence == "off"
		}, ""},
		{"readers held by default", nil, env(), func(c *config) bool { return !c.WSParkIdle && !c.wsConfig(nil).ParkIdleReaders }, ""},
		{"readers parked", []string{"-ws-park-idle"}, env(), func(c *config) bool { return c.WSParkIdle && c.wsConfig(nil).ParkIdleReaders }, ""},
		{"readers parked by env", nil, env("PRESENCED_WS_PARK_IDLE", "true"), func(c *config) bool { return c.WSParkIdle }, ""},
		{"global presence count", []string{"-global-presence", "count"}, env(), func(c *config) bool { return c.GlobalPresence == "count" }, ""},
		{"bad global presence", []string{"-global-presence", "some"}, env(), nil, `-global-presence "some": want all, count or off`},
		{"negative rooms per socket", []string{"-max-rooms-per-socket", "-1"}, env(), nil, "-max-rooms-per-socket -1"},
		{"negative room list max", []string{"-room-list-max", "-3"}, env(), nil, "-room-list-max -3"},
		{"engine.io defaults", nil, env(), func(c *config) bool {
			return c.EIOPingInterval == 25*time.Second && c.EIOPingTimeout == 20*time.Second && c.ConnectTimeout == 45*time.Second
		}, ""},
		{"engine.io timers", []string{"-eio-ping-interval", "5s", "-eio-ping-timeout", "3s", "-connect-timeout", "10s"}, env(), func(c *config) bool {
			return c.EIOPingInterval == 5*time.Second && c.EIOPingTimeout == 3*time.Second && c.ConnectTimeout == 10*time.Second &&
				c.PingInterval == 10*time.Second // the presence sweep is another timer
		}, ""},
		{"engine.io timers through the environment", nil, env("PRESENCED_EIO_PING_INTERVAL", "1m", "PRESENCED_EIO_PING_TIMEOUT", "30s", "PRESENCED_CONNECT_TIMEOUT", "2m"), func(c *config) bool {
			return c.EIOPingInterval == time.Minute && c.EIOPingTimeout == 30*time.Second && c.ConnectTimeout == 2*time.Minute
		}, ""},
		{"engine.io flag wins over environment", []string{"-eio-ping-timeout", "4s"}, env("PRESENCED_EIO_PING_TIMEOUT", "30s"), func(c *config) bool {
			return c.EIOPingTimeout == 4*time.Second
		}, ""},
		{"zero eio ping interval", []string{"-eio-ping-interval", "0"}, env(), nil, "-eio-ping-interval must be positive"},
		{"negative eio ping timeout", []string{"-eio-ping-timeout", "-1s"}, env(), nil, "-eio-ping-timeout must be positive"},
		{"zero connect timeout through the environment", nil, env("PRESENCED_CONNECT_TIMEOUT", "0s"), nil, "-connect-timeout must be positive"},
		{"bad connect timeout", []string{"-connect-timeout", "soon"}, env(), nil, "invalid value"},
		{"bad eio ping interval env", nil, env("PRESENCED_EIO_PING_INTERVAL", "often"), nil, "PRESENCED_EIO_PING_INTERVAL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, tc.env, &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

// TestWSConfig: the Socket.IO server gets the Engine.IO timers, the origins, the
// per-address limit and the trusted-proxy resolver from the flags.
func TestWSConfig(t *testing.T) {
	c, err := parseConfig([]string{"-eio-ping-interval", "7s", "-eio-ping-timeout", "3s", "-connect-timeout", "12s",
		"-allowed-origins", "https://a.org", "-max-conns-per-ip", "9", "-trusted-proxies", "10.0.0.0/8"}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	wc := c.wsConfig(log)
	if wc.PingInterval != 7*time.Second || wc.PingTimeout != 3*time.Second || wc.ConnectTimeout != 12*time.Second {
		t.Errorf("timers %v %v %v", wc.PingInterval, wc.PingTimeout, wc.ConnectTimeout)
	}
	if len(wc.AllowedOrigins) != 1 || wc.AllowedOrigins[0] != "https://a.org" || wc.MaxConnsPerIP != 9 || wc.ClientIP == nil || wc.Logger != log {
		t.Errorf("ws config %+v", wc)
	}
	// The other timers keep ws's own defaults.
	if wc.UpgradeTimeout != 0 || wc.WriteTimeout != 0 || wc.AckTimeout != 0 || wc.PollTimeout != 0 {
		t.Errorf("timers without flags set: %+v", wc)
	}

	d, err := parseConfig(nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	wd := d.wsConfig(log)
	if wd.PingInterval != ws.DefaultPingInterval || wd.PingTimeout != ws.DefaultPingTimeout || wd.ConnectTimeout != ws.DefaultConnectTimeout || wd.MaxConnsPerIP != 500 {
		t.Errorf("defaults %+v", wd)
	}
}

// TestRunExitsTwoOnBadSetup: configuration mistakes print one line and exit 2, never
// a panic or a stack trace.
func TestRunExitsTwoOnBadSetup(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unreachable database", []string{"-addr", "127.0.0.1:0", "-db", "postgres://postgres@127.0.0.1:1/none?connect_timeout=2", "-jwt-secret", strings.Repeat("s", 32)}, "presenced: database"},
		{"bad flag", []string{"-nope"}, "presenced: flag provided but not defined"},
		{"unwritable sqlite folder", []string{"-addr", "127.0.0.1:0", "-db", "sqlite:///proc/presenced/p.db"}, "presenced: database"},
		{"bad global presence", []string{"-global-presence", "everyone"}, `presenced: -global-presence "everyone": want all, count or off`},
		{"zero engine.io ping timeout", []string{"-eio-ping-timeout", "0s"}, "presenced: -eio-ping-timeout must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, getenv, strings.NewReader(""), &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) || strings.Contains(stderr.String(), "goroutine ") {
				t.Fatalf("stderr %q, want %q and no stack trace", stderr.String(), tc.want)
			}
		})
	}
	var out bytes.Buffer
	if code := run([]string{"-h"}, getenv, strings.NewReader(""), &out, &out); code != 0 || !strings.Contains(out.String(), "-ping-interval") {
		t.Fatalf("-h: exit %d\n%s", code, out.String())
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
