package ws

import (
	"reflect"
	"testing"
	"time"
)

// TestConfigDefaults: every zero (or negative) field becomes its documented
// default, the derived timers follow the other fields after their defaults,
// and a value that is set is kept.
func TestConfigDefaults(t *testing.T) {
	all := Config{
		PingInterval:     DefaultPingInterval,
		PingTimeout:      DefaultPingTimeout,
		MaxPayload:       DefaultMaxPayload,
		UpgradeTimeout:   DefaultUpgradeTimeout,
		ConnectTimeout:   DefaultConnectTimeout,
		WriteTimeout:     DefaultWriteTimeout,
		ControlTimeout:   DefaultControlTimeout,
		AckTimeout:       DefaultAckTimeout,
		PollTimeout:      DefaultPingInterval + DefaultPingTimeout,
		PollCloseTimeout: DefaultPingTimeout + DefaultUpgradeTimeout,
		HeartbeatTick:    500 * time.Millisecond, // min(25s, 20s)/10 = 2s, capped
		OutboundQueue:    DefaultOutboundQueue,
		OutboundBytes:    DefaultOutboundBytes,
	}
	with := func(mod func(*Config)) Config {
		c := all
		mod(&c)
		return c
	}
	cases := []struct {
		name string
		in   Config
		want Config
	}{
		{"zero", Config{}, all},
		{"negative", Config{PingInterval: -1, PingTimeout: -1, MaxPayload: -1, UpgradeTimeout: -1, ConnectTimeout: -1,
			WriteTimeout: -1, ControlTimeout: -1, AckTimeout: -1, PollTimeout: -1, PollCloseTimeout: -1, HeartbeatTick: -1,
			OutboundQueue: -1, OutboundBytes: -1}, all},
		{"derived from the heartbeat", Config{PingInterval: 150 * time.Millisecond, PingTimeout: 300 * time.Millisecond},
			with(func(c *Config) {
				c.PingInterval, c.PingTimeout = 150*time.Millisecond, 300*time.Millisecond
				c.PollTimeout = 450 * time.Millisecond
				c.PollCloseTimeout = 300*time.Millisecond + DefaultUpgradeTimeout
				c.HeartbeatTick = 15 * time.Millisecond
			})},
		{"derived from one field and a default", Config{PingTimeout: 2 * time.Second, UpgradeTimeout: time.Second},
			with(func(c *Config) {
				c.PingTimeout, c.UpgradeTimeout = 2*time.Second, time.Second
				c.PollTimeout = DefaultPingInterval + 2*time.Second
				c.PollCloseTimeout = 3 * time.Second
				c.HeartbeatTick = 200 * time.Millisecond
			})},
		{"tick floor", Config{PingInterval: 10 * time.Millisecond, PingTimeout: 20 * time.Millisecond},
			with(func(c *Config) {
				c.PingInterval, c.PingTimeout = 10*time.Millisecond, 20*time.Millisecond
				c.PollTimeout = 30 * time.Millisecond
				c.PollCloseTimeout = 20*time.Millisecond + DefaultUpgradeTimeout
				c.HeartbeatTick = 5 * time.Millisecond
			})},
		{"set values kept", Config{ControlTimeout: 3 * time.Second, PollTimeout: time.Minute, PollCloseTimeout: 7 * time.Second,
			HeartbeatTick: time.Second, ConnectTimeout: time.Hour, MaxPayload: 10, OutboundQueue: 2, OutboundBytes: 100},
			with(func(c *Config) {
				c.ControlTimeout, c.PollTimeout, c.PollCloseTimeout, c.HeartbeatTick = 3*time.Second, time.Minute, 7*time.Second, time.Second
				c.ConnectTimeout, c.MaxPayload, c.OutboundQueue, c.OutboundBytes = time.Hour, 10, 2, 100
			})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withDefaults()
			if got.Logger == nil {
				t.Fatal("no default Logger")
			}
			got.Logger = nil
			if got.AllowedOrigins != nil || got.ClientIP != nil || got.MaxConnsPerIP != 0 {
				t.Fatalf("fields without defaults changed: %+v", got)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("withDefaults()\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
