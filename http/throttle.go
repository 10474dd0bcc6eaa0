package http

import (
	"math"
	"sync"
	"time"
)

// ThrottleConfig bounds login attempts and registrations.
type ThrottleConfig struct {
	Window      time.Duration // zero means 1 minute
	PerUsername int           // login attempts per (IP, username) in Window; zero means 5
	PerIP       int           // login attempts per IP in Window; zero means 50
	// RegisterPerIP is registrations per IP in Window; zero means no limit (the
	// server's -register-rate default, 10, is set by the composition root).
	RegisterPerIP int
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

// slidingLog keeps, per key, the times of recent attempts: a sliding-window log capped
// at the limit, so memory per key is bounded. An attempt is counted when it starts
// (take), so attempts sent in parallel cannot all pass a check made before any of them
// is recorded; one that should not count is given back (giveBack).
//
// Callers serialise access (loginThrottle's mutex).
type slidingLog[K comparable] struct {
	limit  int
	window time.Duration
	logs   map[K][]time.Time
	swept  time.Time
}

func newSlidingLog[K comparable](limit int, window time.Duration) *slidingLog[K] {
	return &slidingLog[K]{limit: limit, window: window, logs: map[K][]time.Time{}}
}

// wait is how long k must wait before another attempt is allowed (0: allowed now).
func (s *slidingLog[K]) wait(k K, now time.Time) time.Duration {
	if s.limit <= 0 {
		return 0
	}
	log := s.live(s.logs[k], now)
	if len(log) < s.limit {
		return 0
	}
	return log[len(log)-s.limit].Add(s.window).Sub(now)
}

// record counts an attempt of k at now; the caller checked wait first.
func (s *slidingLog[K]) record(k K, now time.Time) {
	if s.limit <= 0 {
		return
	}
	log := s.live(s.logs[k], now)
	if len(log) >= s.limit {
		log = log[1:]
	}
	s.logs[k] = append(log, now)
}

// giveBack removes one attempt of k recorded at `at`.
func (s *slidingLog[K]) giveBack(k K, at time.Time) {
	log := s.logs[k]
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Equal(at) {
			log = append(log[:i], log[i+1:]...)
			break
		}
	}
	if len(log) == 0 {
		delete(s.logs, k)
		return
	}
	s.logs[k] = log
}

func (s *slidingLog[K]) forget(k K) { delete(s.logs, k) }

func (s *slidingLog[K]) live(log []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(log) && now.Sub(log[cut]) >= s.window {
		cut++
	}
	return log[cut:]
}

// sweep drops keys whose attempts all left the window, at most once per window.
func (s *slidingLog[K]) sweep(now time.Time) {
	if now.Sub(s.swept) < s.window {
		return
	}
	s.swept = now
	for k, log := range s.logs {
		if len(s.live(log, now)) == 0 {
			delete(s.logs, k)
		}
	}
}

// loginThrottle applies the contract's rules: about PerUsername attempts a window for
// one (IP, username) and PerIP for one IP, counted from the moment an attempt starts;
// a throttled attempt is refused before the password is checked; a successful one gives
// its count back (and clears its pair, whose owner proved they know the password).
type loginThrottle struct {
	now func() time.Time

	mu       sync.Mutex
	byUser   *slidingLog[[2]string]
	byIP     *slidingLog[string]
	register *slidingLog[string]
}

func newLoginThrottle(cfg ThrottleConfig, now func() time.Time) *loginThrottle {
	cfg = cfg.withDefaults()
	return &loginThrottle{
		now:      now,
		byUser:   newSlidingLog[[2]string](cfg.PerUsername, cfg.Window),
		byIP:     newSlidingLog[string](cfg.PerIP, cfg.Window),
		register: newSlidingLog[string](cfg.RegisterPerIP, cfg.Window),
	}
}

// attempt is a login attempt that was counted; finish it with succeeded or failed.
type attempt struct {
	ip, username string
	at           time.Time
}

// begin counts a login attempt for (ip, username) and returns it, or returns how long
// the caller must wait (nothing counted) when either limit is reached.
func (t *loginThrottle) begin(ip, username string) (attempt, time.Duration) {
	now := t.now()
	k := [2]string{ip, username}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byUser.sweep(now)
	t.byIP.sweep(now)
	if w := max(t.byUser.wait(k, now), t.byIP.wait(ip, now)); w > 0 {
		return attempt{}, w
	}
	t.byUser.record(k, now)
	t.byIP.record(ip, now)
	return attempt{ip: ip, username: username, at: now}, 0
}

// succeeded gives the attempt's count back and forgets the pair's failures.
func (t *loginThrottle) succeeded(a attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byUser.forget([2]string{a.ip, a.username})
	t.byIP.giveBack(a.ip, a.at)
}

// void gives back an attempt that ended in neither verdict (a server error).
func (t *loginThrottle) void(a attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byUser.giveBack([2]string{a.ip, a.username}, a.at)
	t.byIP.giveBack(a.ip, a.at)
}

// beginRegistration counts a registration from ip, or says how long to wait.
func (t *loginThrottle) beginRegistration(ip string) (attempt, time.Duration) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.register.sweep(now)
	if w := t.register.wait(ip, now); w > 0 {
		return attempt{}, w
	}
	t.register.record(ip, now)
	return attempt{ip: ip, at: now}, 0
}

// registrationVoid gives back a registration refused before it touched anything
// (an invalid form): a user fixing typos is not throttled for them.
func (t *loginThrottle) registrationVoid(a attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.register.giveBack(a.ip, a.at)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
