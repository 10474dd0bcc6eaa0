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
			{do: func(s *presenceState) { s.setLocal(alice, true) }, wantJoined: []int64{1}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) {}, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 1},
		}},
		{"join and leave in one window cancel out", []step{
			{do: func(s *presenceState) { s.setLocal(alice, true); s.setLocal(User{ID: 1}, false) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 0},
		}},
		{"coalesced joins count once", []step{
			{do: func(s *presenceState) { s.setLocal(bob, true); s.setLocal(alice, true) }, wantJoined: []int64{1, 2}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) { s.setLocal(User{ID: 2}, false) }, wantJoined: []int64{}, wantLeft: []int64{2}, wantVersion: 2, wantChanged: true},
		}},
		{"leave then rejoin in one window is no change", []step{
			{do: func(s *presenceState) { s.setLocal(alice, true) }, wantJoined: []int64{1}, wantLeft: []int64{}, wantVersion: 1, wantChanged: true},
			{do: func(s *presenceState) { s.setLocal(User{ID: 1}, false); s.setLocal(alice, true) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 1},
		}},
		{"offline of an unknown user is nothing", []step{
			{do: func(s *presenceState) { s.setLocal(User{ID: 9}, false) }, wantJoined: []int64{}, wantLeft: []int64{}, wantVersion: 0},
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

func TestPresenceStateLocalAndRemote(t *testing.T) {
	alice, bob := User{ID: 1, Username: "alice"}, User{ID: 2, Username: "bob"}
	s := newPresenceState()

	// bob is online on another node: seen through Redis.
	s.remoteChanged(bob, true, 5)
	if u := s.flush(); !u.changed || ids(u.joined)[0] != 2 {
		t.Fatalf("remote join: %+v", u)
	}
	// A transition the state already reflects is ignored.
	s.remoteChanged(bob, false, 4)
	if u := s.flush(); u.changed {
		t.Fatalf("stale remote leave applied: %+v", u)
	}
	// alice joins here; her own join comes back through Redis: still one entry.
	s.setLocal(alice, true)
	s.remoteChanged(alice, true, 6)
	if u := s.flush(); !u.changed || len(u.joined) != 1 || s.count() != 2 {
		t.Fatalf("local+remote join: %+v count %d", u, s.count())
	}
	// alice's local sockets go; she is still online elsewhere until Redis says not.
	s.setLocal(alice, false)
	if u := s.flush(); u.changed {
		t.Fatalf("local leave while remote online published: %+v", u)
	}
	s.remoteChanged(alice, false, 7)
	if u := s.flush(); !u.changed || len(u.left) != 1 || u.left[0] != 1 {
		t.Fatalf("global leave: %+v", u)
	}
	// A full read replaces the remote set, at any version (Redis may have restarted).
	s.remoteReplaced([]User{alice}, 1)
	u := s.flush()
	if !reflect.DeepEqual(ids(u.joined), []int64{1}) || !reflect.DeepEqual(u.left, []int64{2}) || s.remoteVersion != 1 {
		t.Fatalf("snapshot: %+v version %d", u, s.remoteVersion)
	}
	// refreshAll asks every bound conn for the full list.
	s.bindConn("c", actor.NewPID("l", "c"), 1, false)
	s.snapshotsSent()
	s.refreshAll()
	if !s.dirty() || s.snapshots != 1 {
		t.Fatal("refreshAll did not ask for snapshots")
	}
}
