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
type userState struct {
	user        User
	conns       map[string]connBinding
	creditJTI   string
	creditUntil time.Time
	graceUntil  time.Time
	reported    bool // what presence was last told: online or not
	handled     uint64
}

func newUserState(u User) *userState {
	return &userState{user: u, conns: map[string]connBinding{}}
}

func (s *userState) attach(connID string, pid *actor.PID, jti string) {
	s.conns[connID] = connBinding{pid: pid, jti: jti}
	s.graceUntil = time.Time{}
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

func (s *userState) grant(u User, jti string, until time.Time) {
	s.user = u
	if until.After(s.creditUntil) {
		s.creditJTI, s.creditUntil = jti, until
	}
}

// revoke ends jti's credit and returns the conns bound by jti, to be logged out.
func (s *userState) revoke(jti string) []*actor.PID {
	if s.creditJTI == jti {
		s.creditJTI, s.creditUntil = "", time.Time{}
	}
	var out []*actor.PID
	for _, c := range s.conns {
		if c.jti == jti {
			out = append(out, c.pid)
		}
	}
	return out
}

func (s *userState) online(now time.Time) bool {
	return len(s.conns) > 0 || now.Before(s.creditUntil) || now.Before(s.graceUntil)
}

// nextWake is when online(now) may next change by itself (zero: never).
func (s *userState) nextWake(now time.Time) time.Time {
	if len(s.conns) > 0 {
		return time.Time{}
	}
	var w time.Time
	for _, t := range []time.Time{s.creditUntil, s.graceUntil} {
		if t.After(now) && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	return w
}

// idle: offline, nothing bound, nothing pending: the actor may stop.
func (s *userState) idle(now time.Time) bool {
	return !s.reported && !s.online(now)
}
