package actors

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// describeWatch renders statuses as "1:on", "2:off@<unix>", "3:off@-" (no last_seen).
func describeWatch(sts []WatchStatus) []string {
	out := []string{}
	for _, st := range sts {
		switch {
		case st.Online && st.Status == StatusOnline:
			out = append(out, fmt.Sprintf("%d:on", st.ID))
		case st.Online || st.Status != StatusOffline:
			out = append(out, fmt.Sprintf("%d:inconsistent", st.ID))
		case st.LastSeen == nil:
			out = append(out, fmt.Sprintf("%d:off@-", st.ID))
		default:
			out = append(out, fmt.Sprintf("%d:off@%d", st.ID, st.LastSeen.Unix()))
		}
	}
	return out
}

func deliveriesByConn(ds []watchDelivery) map[string][]string {
	out := map[string][]string{}
	for _, d := range ds {
		if _, dup := out[d.pid.Id]; dup {
			panic("two deliveries to one conn in one change")
		}
		out[d.pid.Id] = describeWatch(d.users)
	}
	return out
}

func TestWatchIndex(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0) }
	t100 := at(100)
	pid := func(c string) *actor.PID { return actor.NewPID("local", c) }
	w := newWatchIndex()
	// alice (1) is online before anyone watches her.
	if got := w.changed([]User{{ID: 1}}, nil, at(10)); len(got) != 0 {
		t.Fatalf("nobody watches: %v", got)
	}
	// Snapshot: the state of the ids asked, in order, with the database's last_seen.
	snap := describeWatch(w.watch("a", pid("a"), []WatchedUser{{ID: 2, LastSeen: &t100}, {ID: 1}, {ID: 3}}))
	if want := []string{"2:off@100", "1:on", "3:off@-"}; !reflect.DeepEqual(snap, want) {
		t.Fatalf("snapshot %v, want %v", snap, want)
	}
	w.watch("b", pid("b"), []WatchedUser{{ID: 2}})
	if w.pairs != 4 {
		t.Fatalf("pairs %d", w.pairs)
	}

	steps := []struct {
		name   string
		joined []User
		left   []int64
		at     int64
		want   map[string][]string
	}{
		{"bob comes online: both watchers, once each", []User{{ID: 2, LastSeen: &t100}}, nil, 200, map[string][]string{
			"a": {"2:on"}, "b": {"2:on"}}},
		{"users nobody watches cost nothing", []User{{ID: 50}}, []int64{51}, 201, map[string][]string{}},
		{"one change, several users: one delivery per conn, by id", []User{{ID: 3}}, []int64{1, 2}, 300, map[string][]string{
			"a": {"1:off@300", "2:off@300", "3:on"}, "b": {"2:off@300"}}},
	}
	for _, st := range steps {
		if got := deliveriesByConn(w.changed(st.joined, st.left, at(st.at))); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("%s: %v, want %v", st.name, got, st.want)
		}
	}
	// A later watch sees the last_seen the index saw, fresher than the database's.
	if got := describeWatch(w.watch("c", pid("c"), []WatchedUser{{ID: 2, LastSeen: &t100}})); !reflect.DeepEqual(got, []string{"2:off@300"}) {
		t.Fatalf("late snapshot %v", got)
	}
	// Unwatch some, then all; a conn with nothing watched is forgotten.
	w.unwatch("a", []int64{1, 99}, false)
	w.unwatch("b", nil, true)
	got := deliveriesByConn(w.changed([]User{{ID: 1}, {ID: 2}}, nil, at(400)))
	if want := map[string][]string{"a": {"2:on"}, "c": {"2:on"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after unwatch: %v, want %v", got, want)
	}
	w.unwatch("a", nil, true)
	w.unwatch("c", []int64{2}, false)
	if w.pairs != 0 || len(w.conns) != 0 || len(w.watchers) != 0 || len(w.lastSeen) != 0 {
		t.Fatalf("left behind: pairs %d conns %v watchers %v lastSeen %v", w.pairs, w.conns, w.watchers, w.lastSeen)
	}
	online := []int64{}
	for id := range w.online {
		online = append(online, id)
	}
	sort.Slice(online, func(i, j int) bool { return online[i] < online[j] })
	if !reflect.DeepEqual(online, []int64{1, 2, 3, 50}) {
		t.Fatalf("online %v", online)
	}
}
