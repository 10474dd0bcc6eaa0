package http

import (
	"math"
	"sync"
	"time"
)

// ThrottleConfig bounds failed logins. Only failures count, so a user who types the
// password right is never throttled.
type ThrottleConfig struct {
	Window      time.Duration // zero means 1 minute
	PerUsername int           // failures per (IP, username) in Window; zero means 5
	PerIP       int           // failures per IP in Window; zero means 50
}

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	if c.Window == 0 {
		c.Window = time.Minute
	}
	if c.PerUsername == 0 {
		c.PerUsername = 5
	}
	if c.PerIP == 0 {
		c.PerIP = 50
	}
	return c
}

// loginThrottle keeps, per key, the times of recent failures (a sliding-window log
// capped at the limit, so memory per key is bounded).
type loginThrottle struct {
	cfg ThrottleConfig
	now func() time.Time

	mu     sync.Mutex
	byUser map[[2]string][]time.Time
	byIP   map[string][]time.Time
	swept  time.Time
}

func newLoginThrottle(cfg ThrottleConfig, now func() time.Time) *loginThrottle {
	return &loginThrottle{
		cfg: cfg.withDefaults(), now: now,
		byUser: map[[2]string][]time.Time{}, byIP: map[string][]time.Time{},
	}
}

// check returns how long the caller must wait before trying (ip, username) again, or 0.
func (t *loginThrottle) check(ip, username string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	wait := t.waitFor(t.byUser[[2]string{ip, username}], t.cfg.PerUsername, now)
	if w := t.waitFor(t.byIP[ip], t.cfg.PerIP, now); w > wait {
		wait = w
	}
	return wait
}

// fail records a failed attempt.
func (t *loginThrottle) fail(ip, username string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{ip, username}
	t.byUser[k] = t.record(t.byUser[k], t.cfg.PerUsername, now)
	t.byIP[ip] = t.record(t.byIP[ip], t.cfg.PerIP, now)
}

// succeed forgets the (ip, username) failures: the user proved they know the password.
func (t *loginThrottle) succeed(ip, username string) {
	t.mu.Lock()
	delete(t.byUser, [2]string{ip, username})
	t.mu.Unlock()
}

func (t *loginThrottle) record(log []time.Time, limit int, now time.Time) []time.Time {
	log = t.live(log, now)
	if len(log) >= limit {
		log = log[1:]
	}
	return append(log, now)
}

func (t *loginThrottle) live(log []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(log) && now.Sub(log[cut]) >= t.cfg.Window {
		cut++
	}
	return log[cut:]
}

func (t *loginThrottle) waitFor(log []time.Time, limit int, now time.Time) time.Duration {
	log = t.live(log, now)
	if len(log) < limit {
		return 0
	}
	return log[len(log)-limit].Add(t.cfg.Window).Sub(now)
}

// sweep drops keys whose failures all left the window, at most once per window.
func (t *loginThrottle) sweep(now time.Time) {
	if now.Sub(t.swept) < t.cfg.Window {
		return
	}
	t.swept = now
	for k, log := range t.byUser {
		if len(t.live(log, now)) == 0 {
			delete(t.byUser, k)
		}
	}
	for k, log := range t.byIP {
		if len(t.live(log, now)) == 0 {
			delete(t.byIP, k)
		}
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
