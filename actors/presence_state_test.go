package actors

import (
	"reflect"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func ids(us []User) []int64 {
	out := []int64{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestPresenceStateFlush(t *testing.T) {
	alice, bob := User{ID: 1, Username: "alice"}, User{ID: 2, Username: "bob"}
	type step struct {
		do          func(s *presenceState)
		wantJoined  []int64
		wantLeft    []int64
		wantVersion uint64
		wantChanged bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"join publishes once", []step{
			{do: func(s *presenceState) { s.setOnline(alice) }, wantJoined: []int64{1}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) {}, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 1},
		}},
		{"join and leave in one window cancel out", []step{
			{do: func(s *presenceState) { s.setOnline(alice); s.setOffline(1) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 0},
		}},
		{"coalesced joins count once", []step{
			{do: func(s *presenceState) { s.setOnline(bob); s.setOnline(alice) }, wantJoined: []int64{1, 2}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) { s.setOffline(2) }, wantJoined: []int64{}, wantLeft: []int64{2}, wantVersion: 2, wantChanged: true},
		}},
		{"leave then rejoin in one window is no change", []step{
			{do: func(s *presenceState) { s.setOnline(alice) }, wantJoined: []int64{1}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) { s.setOffline(1); s.setOnline(alice) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 1},
		}},
		{"offline of an unknown user is nothing", []step{
			{do: func(s *presenceState) { s.setOffline(9) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newPresenceState()
			for i, st := range tc.steps {
				st.do(s)
				u := s.flush()
				if got := ids(u.joined); !reflect.DeepEqual(got, st.wantJoined) {
					t.Fatalf("step %d joined = %v, want %v", i, got, st.wantJoined)
				}
				left := u.left
				if left == nil {
					left = []int64{}
				}
				if !reflect.DeepEqual(left, st.wantLeft) {
					t.Fatalf("step %d left = %v, want %v", i, left, st.wantLeft)
				}
				if u.version != st.wantVersion || u.changed != st.wantChanged {
					t.Fatalf("step %d version=%d changed=%v, want %d %v", i, u.version, u.changed, st.wantVersion, st.wantChanged)
				}
				if s.dirty() {
					t.Fatalf("step %d: dirty after flush", i)
				}
			}
		})
	}
}

func TestPresenceStateConns(t *testing.T) {
	s := newPresenceState()
	pid := actor.NewPID("local", "c")
	s.openConn("a", pid)
	s.openConn("b", pid)
	if s.bound != 0 || len(s.conns) != 2 {
		t.Fatalf("bound=%d conns=%d", s.bound, len(s.conns))
	}
	if prev := s.bindConn("a", pid, 1, false); prev != 0 {
		t.Fatalf("prev = %d", prev)
	}
	if !s.dirty() || s.snapshots != 1 {
		t.Fatal("a new binding must ask for a snapshot")
	}
	if prev := s.bindConn("a", pid, 2, false); prev != 1 {
		t.Fatalf("rebind prev = %d", prev)
	}
	if s.bound != 1 || s.snapshots != 1 {
		t.Fatalf("rebind: bound=%d snapshots=%d", s.bound, s.snapshots)
	}
	s.snapshotsSent()
	if s.dirty() || s.conns["a"].needSnapshot {
		t.Fatal("snapshotsSent left work")
	}
	if prev := s.unbindConn("a"); prev != 2 || s.bound != 0 {
		t.Fatalf("unbind prev=%d bound=%d", prev, s.bound)
	}
	if prev := s.unbindConn("a"); prev != 0 {
		t.Fatal("second unbind reported a user")
	}
	s.bindConn("b", pid, 3, false)
	if prev := s.closeConn("b"); prev != 3 || s.bound != 0 || s.snapshots != 0 || len(s.conns) != 1 {
		t.Fatalf("close: prev=%d bound=%d snapshots=%d conns=%d", prev, s.bound, s.snapshots, len(s.conns))
	}
	if prev := s.closeConn("zzz"); prev != 0 {
		t.Fatal("closing an unknown conn reported a user")
	}
}
