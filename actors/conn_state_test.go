package actors

import (
	"testing"
	"time"
)

func TestConnStateSweep(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 2)
	timeout := 10 * time.Second
	tests := []struct {
		at    time.Duration
		alive bool
	}{
		{5 * time.Second, true},
		{10 * time.Second, true},
		{10*time.Second + 1, false},
	}
	for _, tc := range tests {
		if got := s.sweep(t0.Add(tc.at), timeout); got != tc.alive {
			t.Fatalf("sweep(+%v) = %v, want %v", tc.at, got, tc.alive)
		}
	}
}

func TestConnStateRateLimitNeverThrottlesAnsweredPings(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 2)
	// Burn the bucket with actions that are not answers.
	for i := 0; i < 2; i++ {
		if !s.allow(t0, false, 1, 2) {
			t.Fatalf("action %d refused inside the burst", i)
		}
	}
	if s.allow(t0, false, 1, 2) {
		t.Fatal("action beyond the burst allowed")
	}
	if s.allow(t0, true, 1, 2) {
		t.Fatal("unsolicited pong allowed with an empty bucket")
	}
	// Many sweeps in a fast ping interval: every answer passes, bucket still empty.
	for i := 0; i < 1000; i++ {
		s.sweep(t0, time.Hour)
		if !s.allow(t0, true, 1, 2) {
			t.Fatalf("pong answering sweep %d throttled", i)
		}
	}
	// The bucket refills with time.
	if !s.allow(t0.Add(1500*time.Millisecond), false, 1, 2) {
		t.Fatal("bucket did not refill")
	}
}

func TestConnStateOwedIsCapped(t *testing.T) {
	t0 := time.Now()
	s := newConnState(t0, 0)
	for i := 0; i < 10; i++ {
		s.sweep(t0, time.Hour)
	}
	passed := 0
	for i := 0; i < 10; i++ {
		if s.allow(t0, true, 0, 0) {
			passed++
		}
	}
	if passed != maxOwed {
		t.Fatalf("%d free pongs after 10 silent sweeps, want %d", passed, maxOwed)
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
