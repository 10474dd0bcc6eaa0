package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

func TestUserState(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	grace := 2 * time.Second
	pid := actor.NewPID("local", "c")
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	type check struct {
		at     time.Duration
		online bool
		wake   time.Duration // -1: none
	}
	tests := []struct {
		name   string
		do     func(s *userState)
		checks []check
	}{
		{"one tab", func(s *userState) { s.attach("a", pid, "j") },
			[]check{{0, true, -1}, {time.Hour, true, -1}}},
		{"second tab closing changes nothing", func(s *userState) {
			s.attach("a", pid, "j")
			s.attach("b", pid, "j")
			s.detach("b", false, t0, grace)
		}, []check{{0, true, -1}, {time.Hour, true, -1}}},
		{"last tab closes: offline after grace", func(s *userState) {
			s.attach("a", pid, "j")
			s.detach("a", false, t0, grace)
		}, []check{{0, true, grace}, {grace - time.Millisecond, true, grace}, {grace, false, -1}}},
		{"reload inside grace: never offline", func(s *userState) {
			s.attach("a", pid, "j")
			s.detach("a", false, t0, grace)
			s.attach("b", pid, "j")
		}, []check{{0, true, -1}, {grace, true, -1}}},
		{"logout skips grace", func(s *userState) {
			s.attach("a", pid, "j")
			s.detach("a", true, t0, grace)
		}, []check{{0, false, -1}}},
		{"http login credit", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
		}, []check{{0, true, 20 * time.Second}, {20 * time.Second, false, -1}}},
		{"credit then bind then close: grace from close", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.attach("a", pid, "j")
			s.detach("a", false, at(30*time.Second), grace)
		}, []check{{30 * time.Second, true, 32 * time.Second}, {32 * time.Second, false, -1}}},
		{"binding with the login's token ends its credit: a tab closed at once leaves after the grace", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.attach("a", pid, "j")
			s.detach("a", false, at(time.Second), grace)
		}, []check{{time.Second, true, time.Second + grace}, {time.Second + grace, false, -1}}},
		{"the SPA's way: bound by a later pong, then closed", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			// online from the login, before any socket (checked below at 0)
			s.attach("a", pid, "j") // the pong of the next sweep
			s.detach("a", false, at(11*time.Second), grace)
		}, []check{{11 * time.Second, true, 11*time.Second + grace}, {11*time.Second + grace, false, -1}}},
		{"binding with another token keeps the login's credit", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.attach("a", pid, "other")
			s.detach("a", false, at(time.Second), grace)
		}, []check{{time.Second, true, time.Second + grace}, {10 * time.Second, true, 20 * time.Second}, {20 * time.Second, false, -1}}},
		{"two logins: binding one keeps the other's credit", func(s *userState) {
			s.grant(User{ID: 1}, "j1", at(20*time.Second))
			s.grant(User{ID: 1}, "j2", at(15*time.Second))
			s.attach("a", pid, "j1")
			s.detach("a", false, at(time.Second), grace)
		}, []check{{time.Second, true, time.Second + grace}, {5 * time.Second, true, 15 * time.Second}, {15 * time.Second, false, -1}}},
		{"a login whose token already bound a conn grants nothing", func(s *userState) {
			s.attach("a", pid, "j")
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.detach("a", false, at(time.Second), grace)
		}, []check{{time.Second, true, time.Second + grace}, {time.Second + grace, false, -1}}},
		{"the same login granted again keeps the later end", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.grant(User{ID: 1}, "j", at(10*time.Second))
		}, []check{{15 * time.Second, true, 20 * time.Second}, {20 * time.Second, false, -1}}},
		{"revoking the credit's token ends it", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.revoke("j")
		}, []check{{0, false, -1}}},
		{"revoking another token keeps the credit", func(s *userState) {
			s.grant(User{ID: 1}, "j", at(20*time.Second))
			s.revoke("other")
		}, []check{{0, true, 20 * time.Second}}},
		{"detach of an unknown conn starts no grace", func(s *userState) {
			s.detach("x", false, t0, grace)
		}, []check{{0, false, -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newUserState(User{ID: 1})
			tc.do(s)
			for _, c := range tc.checks {
				now := at(c.at)
				if got := s.online(now); got != c.online {
					t.Fatalf("online(+%v) = %v, want %v", c.at, got, c.online)
				}
				wake := s.nextWake(now)
				if c.wake < 0 && !wake.IsZero() {
					t.Fatalf("nextWake(+%v) = %v, want none", c.at, wake.Sub(t0))
				}
				if c.wake >= 0 && !wake.Equal(at(c.wake)) {
					t.Fatalf("nextWake(+%v) = %v, want +%v", c.at, wake.Sub(t0), c.wake)
				}
			}
		})
	}
}

func TestUserStateAttachSaysWhetherTheTokenIsNewHere(t *testing.T) {
	t0 := time.Now()
	pid := actor.NewPID("l", "c")
	tests := []struct {
		name string
		do   func(s *userState) bool
		want bool
	}{
		{"a token never seen: its login may be on another node", func(s *userState) bool { return s.attach("a", pid, "j") }, true},
		{"the token of a credit held here", func(s *userState) bool {
			s.grant(User{ID: 1}, "j", t0.Add(time.Minute))
			return s.attach("a", pid, "j")
		}, false},
		{"a second tab with the same token", func(s *userState) bool {
			s.attach("a", pid, "j")
			return s.attach("b", pid, "j")
		}, false},
		{"a reload: the token's last conn had gone", func(s *userState) bool {
			s.attach("a", pid, "j")
			s.detach("a", false, t0, time.Second)
			return s.attach("b", pid, "j")
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.do(newUserState(User{ID: 1})); got != tc.want {
				t.Fatalf("attach = %v, want %v", got, tc.want)
			}
		})
	}
	s := newUserState(User{ID: 1})
	s.grant(User{ID: 1}, "j", t0.Add(time.Minute))
	s.endCredit("j")
	if s.online(t0) {
		t.Fatal("online after the credit was ended elsewhere")
	}
}

func TestUserStateCreditsAreBounded(t *testing.T) {
	t0 := time.Now()
	s := newUserState(User{ID: 1})
	for i := range 100 {
		s.grant(User{ID: 1}, fmt.Sprintf("j%d", i), t0.Add(time.Duration(i+1)*time.Second))
	}
	if len(s.credits) != maxCredits {
		t.Fatalf("%d credits kept, want %d", len(s.credits), maxCredits)
	}
	if _, ok := s.credits["j99"]; !ok {
		t.Fatal("the latest login's credit was dropped")
	}
	s.expire(t0.Add(200 * time.Second))
	if len(s.credits) != 0 || s.online(t0.Add(200*time.Second)) {
		t.Fatalf("expired credits kept: %v", s.credits)
	}
}

func TestUserStateRevokeReturnsConnsOfThatToken(t *testing.T) {
	s := newUserState(User{ID: 1})
	p1, p2 := actor.NewPID("local", "1"), actor.NewPID("local", "2")
	s.attach("a", p1, "j1")
	s.attach("b", p2, "j2")
	got := s.revoke("j1")
	if len(got) != 1 || !got[0].Equal(p1) {
		t.Fatalf("revoke returned %v", got)
	}
}

func TestUserStateIdle(t *testing.T) {
	now := time.Now()
	s := newUserState(User{ID: 1})
	if !s.idle(now) {
		t.Fatal("fresh state not idle")
	}
	s.attach("a", actor.NewPID("l", "a"), "j")
	if s.idle(now) {
		t.Fatal("idle with a conn")
	}
	s.detach("a", true, now, time.Second)
	s.reported = true // presence still thinks it online
	if s.idle(now) {
		t.Fatal("idle before reporting offline")
	}
}
