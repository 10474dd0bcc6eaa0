package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// connBinding is one of a user's bound connections.
type connBinding struct {
	pid *actor.PID
	jti string
}

// userState is one user's presence, free of actors: the user is online while a conn is
// bound, while an HTTP login's credit lasts, or while the grace after the last conn
// closed runs. online() is a pure function of the state and the time.
//
// A login's credit covers the moment between the HTTP login and the first socket bound
// with that login's token (the original SPA binds only with its next pong). It ends when
// such a socket binds: from then on the socket speaks for the user, so a tab closed
// right after logging in goes offline after the grace, not when the credit would have
// run out.
type userState struct {
	user       User
	conns      map[string]connBinding
	credits    map[string]time.Time // jti → end of the credit, for logins not bound yet
	graceUntil time.Time
	reported   bool // what presence was last told: online or not
	handled    uint64
}

// maxCredits bounds the credits kept per user (logins in one credit's span); beyond it
// the one ending soonest is dropped.
const maxCredits = 16

func newUserState(u User) *userState {
	return &userState{user: u, conns: map[string]connBinding{}, credits: map[string]time.Time{}}
}

// attach adds a bound conn; binding with a login's token ends that login's credit. It
// reports whether the token is new here: no conn of the user was bound by it and no
// credit of it was held (the login may have been on another node, whose credit the
// Redis bridge then ends).
func (s *userState) attach(connID string, pid *actor.PID, jti string) (newHere bool) {
	_, credit := s.credits[jti]
	newHere = !credit && !s.boundBy(jti)
	s.conns[connID] = connBinding{pid: pid, jti: jti}
	s.graceUntil = time.Time{}
	delete(s.credits, jti)
	return newHere
}

// endCredit ends the credit of jti (a conn bound with its token on another node).
func (s *userState) endCredit(jti string) { delete(s.credits, jti) }

func (s *userState) boundBy(jti string) bool {
	for _, c := range s.conns {
		if c.jti == jti {
			return true
		}
	}
	return false
}

// detach removes a conn; when it was the last one the grace starts, unless the conn
// left by logging out.
func (s *userState) detach(connID string, logout bool, now time.Time, grace time.Duration) {
	if _, ok := s.conns[connID]; !ok {
		return
	}
	delete(s.conns, connID)
	if len(s.conns) == 0 && !logout {
		s.graceUntil = now.Add(grace)
	}
}

// grant records an HTTP login's credit, unless a conn already bound with its token.
func (s *userState) grant(u User, jti string, until time.Time) {
	s.user = u
	if s.boundBy(jti) {
		return
	}
	if _, ok := s.credits[jti]; !ok && len(s.credits) >= maxCredits {
		soonest := ""
		for j, t := range s.credits {
			if soonest == "" || t.Before(s.credits[soonest]) {
				soonest = j
			}
		}
		delete(s.credits, soonest)
	}
	if until.After(s.credits[jti]) {
		s.credits[jti] = until
	}
}

// expire forgets credits that ended by now.
func (s *userState) expire(now time.Time) {
	for j, t := range s.credits {
		if !now.Before(t) {
			delete(s.credits, j)
		}
	}
}

// revoke ends jti's credit and returns the conns bound by jti, to be logged out.
func (s *userState) revoke(jti string) []*actor.PID {
	delete(s.credits, jti)
	var out []*actor.PID
	for _, c := range s.conns {
		if c.jti == jti {
			out = append(out, c.pid)
		}
	}
	return out
}

func (s *userState) online(now time.Time) bool {
	if len(s.conns) > 0 || now.Before(s.graceUntil) {
		return true
	}
	for _, t := range s.credits {
		if now.Before(t) {
			return true
		}
	}
	return false
}

// nextWake is when online(now) may next change by itself (zero: never).
func (s *userState) nextWake(now time.Time) time.Time {
	if len(s.conns) > 0 {
		return time.Time{}
	}
	var w time.Time
	consider := func(t time.Time) {
		if t.After(now) && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	consider(s.graceUntil)
	for _, t := range s.credits {
		consider(t)
	}
	return w
}

// idle: offline, nothing bound, nothing pending: the actor may stop.
func (s *userState) idle(now time.Time) bool {
	return !s.reported && !s.online(now)
}
