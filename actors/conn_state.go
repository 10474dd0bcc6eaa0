package actors

import "time"

// binding is what bound a conn to a user.
type binding struct {
	userID  int64
	jti     string
	token   string // the token string, to skip verifying the same token on every pong
	expires time.Time
}

// connState is one connection's data, free of actors: who it is bound to, when it last
// answered, and its ng-action rate limit.
type connState struct {
	bound     *binding
	lastAlive time.Time
	// owed counts sweeps not yet answered: a pong that answers one is always allowed.
	owed int
	// token bucket for every other ng-action
	tokens     float64
	refilledAt time.Time
	// when the client was last told it is rate limited (at most once a second)
	limitNoticeAt time.Time
}

// maxOwed bounds the pongs a client may owe, so that a client that stopped answering
// cannot bank free pongs.
const maxOwed = 3

func newConnState(now time.Time, burst float64) connState {
	return connState{lastAlive: now, tokens: burst, refilledAt: now}
}

// sweep records a ping sent at now and reports whether the conn is still alive: it
// must have answered within pongTimeout.
func (s *connState) sweep(now time.Time, pongTimeout time.Duration) bool {
	if now.Sub(s.lastAlive) > pongTimeout {
		return false
	}
	if s.owed < maxOwed {
		s.owed++
	}
	return true
}

// allow decides whether one ng-action may proceed. Pongs that answer a sweep are always
// allowed; the rest draw from a bucket of burst tokens refilled at rate per second.
func (s *connState) allow(now time.Time, pong bool, rate, burst float64) bool {
	if pong && s.owed > 0 {
		s.owed--
		return true
	}
	if el := now.Sub(s.refilledAt).Seconds(); el > 0 {
		s.tokens = min(burst, s.tokens+el*rate)
		s.refilledAt = now
	}
	if s.tokens >= 1 {
		s.tokens--
		return true
	}
	return false
}

// shouldNotifyLimit reports whether to tell the client it was rate limited now.
func (s *connState) shouldNotifyLimit(now time.Time) bool {
	if now.Sub(s.limitNoticeAt) < time.Second {
		return false
	}
	s.limitNoticeAt = now
	return true
}

// expired reports whether the binding's token has expired at now.
func (s *connState) expired(now time.Time) bool {
	return s.bound != nil && !s.bound.expires.IsZero() && !now.Before(s.bound.expires)
}
