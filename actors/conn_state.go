package actors

import "time"

// binding is what bound a conn to a user.
type binding struct {
	userID  int64
	user    User // the profile at bind time: what its rooms list
	jti     string
	token   string // the token string, to skip verifying the same token on every pong
	expires time.Time
}

// connState is one connection's data, free of actors: who it is bound to, whether it
// answers the sweeps, and its ng-action rate limit.
type connState struct {
	bound *binding
	// unansweredSince is when the oldest ping not yet answered by any ng-action was sent
	// (zero: none). Liveness counts from the pings actually sent, so a server that
	// falls behind its own sweep never blames its clients for it.
	unansweredSince time.Time
	// sweepSeq and answeredSeq: the last sweep sent, and the last one a pong named.
	sweepSeq, answeredSeq uint64
	// owed counts sweeps not yet answered by a pong without a seq (the original SPA's).
	owed int
	// token bucket for every other ng-action
	tokens     float64
	refilledAt time.Time
	// when the client was last told it is rate limited (at most once a second)
	limitNoticeAt time.Time
	// tooMany is the token last refused for -max-conns-per-user, and until when the
	// pongs that repeat it (the original SPA's) do not ask for a place again.
	tooMany      string
	tooManyUntil time.Time
}

// tooManyRetry is how long pongs repeating a token refused for the limit wait before
// asking for a place again; an explicit login asks at once.
const tooManyRetry = 30 * time.Second

// maxOwed bounds the pongs a client may owe, so that a client that stopped answering
// cannot bank free pongs.
const maxOwed = 3

func newConnState(now time.Time, burst float64) connState {
	return connState{tokens: burst, refilledAt: now}
}

// sweep records ping seq sent at now and reports whether the conn is still alive: no
// ping it was sent went unanswered for longer than pongTimeout.
func (s *connState) sweep(now time.Time, seq uint64, pongTimeout time.Duration) bool {
	if !s.unansweredSince.IsZero() && now.Sub(s.unansweredSince) > pongTimeout {
		return false
	}
	if s.unansweredSince.IsZero() {
		s.unansweredSince = now
	}
	s.sweepSeq = seq
	if s.owed < maxOwed {
		s.owed++
	}
	return true
}

// answered records that the client answered: every ping sent so far counts as answered.
func (s *connState) answered() { s.unansweredSince = time.Time{} }

// allow decides whether one ng-action may proceed. A pong that answers a sweep is
// always allowed: by its seq when it names one (seqs only move forward, so each sweep
// sent buys at most one; a late answer to a sweep since superseded still counts), else
// by the count of sweeps owed. Everything else draws from a
// bucket of burst tokens refilled at rate per second.
func (s *connState) allow(now time.Time, pong bool, seq uint64, rate, burst float64) bool {
	switch {
	case pong && seq != 0 && seq > s.answeredSeq && seq <= s.sweepSeq:
		s.answeredSeq = seq
		s.owed = max(s.owed-1, 0)
		return true
	case pong && seq == 0 && s.owed > 0:
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

// refusedTooMany records that token was refused for the limit at now.
func (s *connState) refusedTooMany(token string, now time.Time) {
	s.tooMany, s.tooManyUntil = token, now.Add(tooManyRetry)
}

// holdBack reports whether a pong repeating token should not ask for a place again yet.
func (s *connState) holdBack(token string, now time.Time) bool {
	return token == s.tooMany && now.Before(s.tooManyUntil)
}
