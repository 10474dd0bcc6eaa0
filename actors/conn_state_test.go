package actors

import (
	"testing"
	"time"
)

func TestConnStateLiveness(t *testing.T) {
	t0 := time.Now()
	timeout := 10 * time.Second
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name  string
		steps func(s *connState) bool // the last sweep's verdict
		alive bool
	}{
		{"answers every ping", func(s *connState) bool {
			for i := 0; i < 30; i++ {
				if !s.sweep(at(time.Duration(i)*time.Second), uint64(i+1), timeout) {
					return false
				}
				s.answered()
			}
			return true
		}, true},
		{"never answers: dead once a ping is older than the timeout", func(s *connState) bool {
			s.sweep(at(0), 1, timeout)
			s.sweep(at(5*time.Second), 2, timeout)
			return s.sweep(at(10*time.Second+1), 3, timeout)
		}, false},
		{"unanswered, but within the timeout", func(s *connState) bool {
			s.sweep(at(0), 1, timeout)
			return s.sweep(at(10*time.Second), 2, timeout)
		}, true},
		{"a server that fell behind its sweep does not blame the client", func(s *connState) bool {
			s.sweep(at(0), 1, timeout)
			s.answered()
			// the next sweep only goes out a minute later: the client had nothing to answer
			return s.sweep(at(time.Minute), 2, timeout)
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConnState(t0, 2)
			if got := tc.steps(&s); got != tc.alive {
				t.Fatalf("alive = %v, want %v", got, tc.alive)
			}
		})
	}
}

func TestConnStateRateLimitNeverThrottlesAnsweredPings(t *testing.T) {
	t0 := time.Now()
	tests := []struct {
		name string
		seq  func(i int) uint64 // the seq the answer to sweep i carries
	}{
		{"original SPA pong (no seq)", func(int) uint64 { return 0 }},
		{"pong naming its sweep", func(i int) uint64 { return uint64(i) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConnState(t0, 2)
			// Burn the bucket with actions that are not answers.
			for i := 0; i < 2; i++ {
				if !s.allow(t0, false, 0, 1, 2) {
					t.Fatalf("action %d refused inside the burst", i)
				}
			}
			if s.allow(t0, false, 0, 1, 2) {
				t.Fatal("action beyond the burst allowed")
			}
			// A fast sweep: every answer passes although the bucket is empty.
			for i := 1; i <= 1000; i++ {
				s.sweep(t0, uint64(i), time.Hour)
				if !s.allow(t0, true, tc.seq(i), 1, 2) {
					t.Fatalf("pong answering sweep %d throttled", i)
				}
			}
			if !s.allow(t0.Add(1500*time.Millisecond), false, 0, 1, 2) {
				t.Fatal("bucket did not refill")
			}
		})
	}
}

// TestConnStateHammerDoesNotEatTheAnswers: unsolicited pongs (seq 0 or a stale seq)
// between sweeps are limited, and the real answers, which name their sweep, still pass.
func TestConnStateHammerDoesNotEatTheAnswers(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 5)
	limited := 0
	for i := 1; i <= 100; i++ {
		s.sweep(t0, uint64(i), time.Hour)
		for j := 0; j < 10; j++ { // the hammer
			if !s.allow(t0, true, 0, 0, 5) {
				limited++
			}
			if j == 5 && !s.allow(t0, true, uint64(i), 0, 5) {
				t.Fatalf("the answer to sweep %d was throttled", i)
			}
		}
		if s.allow(t0, true, uint64(i), 0, 5) && s.tokens < 1 {
			t.Fatalf("a second answer to sweep %d passed as an answer", i)
		}
	}
	// Passed: the burst (5), and per sweep the one seq-less pong the owed count allows.
	if limited != 1000-5-100 {
		t.Fatalf("%d of 1000 unsolicited pongs limited, want %d", limited, 1000-5-100)
	}
}

func TestConnStateOwedIsCapped(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 0)
	for i := 1; i <= 10; i++ {
		s.sweep(t0, uint64(i), time.Hour)
	}
	passed := 0
	for i := 0; i < 10; i++ {
		if s.allow(t0, true, 0, 0, 0) {
			passed++
		}
	}
	if passed != maxOwed {
		t.Fatalf("%d free pongs after 10 silent sweeps, want %d", passed, maxOwed)
	}
	// A late answer naming a superseded sweep still passes, once; seqs only move forward.
	if !s.allow(t0, true, 3, 0, 0) {
		t.Fatal("a late answer to sweep 3 was throttled")
	}
	if s.allow(t0, true, 2, 0, 0) || s.allow(t0, true, 3, 0, 0) {
		t.Fatal("an older or repeated seq passed as an answer")
	}
}

func TestConnStateExpired(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 1)
	if s.expired(t0) {
		t.Fatal("anonymous conn expired")
	}
	s.bound = &binding{expires: t0.Add(time.Minute)}
	if s.expired(t0) || !s.expired(t0.Add(time.Minute)) {
		t.Fatal("expiry wrong")
	}
}

func TestConnStateHoldsBackARefusedToken(t *testing.T) {
	t0 := time.Now()
	tests := []struct {
		name  string
		token string
		at    time.Duration
		hold  bool
	}{
		{"the refused token, at once", "t1", 0, true},
		{"the refused token, just before the retry", "t1", tooManyRetry - time.Millisecond, true},
		{"the refused token, once the retry is due", "t1", tooManyRetry, false},
		{"another token", "t2", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConnState(t0, 1)
			if s.holdBack("t1", t0) {
				t.Fatal("held back before any refusal")
			}
			s.refusedTooMany("t1", t0)
			if got := s.holdBack(tc.token, t0.Add(tc.at)); got != tc.hold {
				t.Fatalf("holdBack = %v, want %v", got, tc.hold)
			}
		})
	}
}
