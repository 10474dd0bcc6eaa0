package actors

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// describeRoomPayload renders a presence:update or a join's ack in a line a table can
// hold: "list v2 +[2] -[]", "full v4 [1 2]", "count v3 n=3", "ack list v1 [1]",
// "ack count v1 n=1".
func describeRoomPayload(t *testing.T, data []byte, ack bool) string {
	t.Helper()
	var p struct {
		OK      *bool    `json:"ok"`
		Mode    string   `json:"mode"`
		Version uint64   `json:"version"`
		Count   int      `json:"count"`
		Joined  []User   `json:"joined"`
		Left    []int64  `json:"left"`
		Changed []User   `json:"changed"`
		Users   *[]User  `json:"users"`
		Extra   struct{} `json:"-"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("bad payload %s: %v", data, err)
	}
	prefix := ""
	if ack {
		if p.OK == nil || !*p.OK {
			t.Fatalf("ack without ok: %s", data)
		}
		prefix = "ack "
	}
	switch {
	case p.Mode == modeCount:
		if p.Users != nil || p.Joined != nil {
			t.Fatalf("count mode carries a list: %s", data)
		}
		return fmt.Sprintf("%scount v%d n=%d", prefix, p.Version, p.Count)
	case ack:
		if p.Users == nil || len(*p.Users) != p.Count {
			t.Fatalf("list ack without its whole list: %s", data)
		}
		return fmt.Sprintf("ack list v%d %v", p.Version, ids(*p.Users))
	case p.Changed == nil || p.Joined == nil || p.Left == nil:
		t.Fatalf("list update without joined, left and changed arrays: %s", data)
	case p.Users != nil:
		if len(*p.Users) != p.Count {
			t.Fatalf("full list of %d, count %d: %s", len(*p.Users), p.Count, data)
		}
		return fmt.Sprintf("full v%d %v", p.Version, ids(*p.Users))
	}
	return fmt.Sprintf("list v%d +%v -%v", p.Version, ids(p.Joined), p.Left)
}

// received is what one flush (or one immediate answer) gave each conn, by conn id.
func received(t *testing.T, out roomFlush, extra ...*roomAck) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, s := range out.sends {
		if s.ev.Name != EventRoomUpdate {
			t.Fatalf("event %s", s.ev.Name)
		}
		got[s.pid.Id] = append(got[s.pid.Id], describeRoomPayload(t, s.ev.Data, false))
	}
	for _, a := range append(append([]*roomAck{}, extra...), ackPtrs(out.acks)...) {
		if a != nil {
			got[a.pid.Id] = append(got[a.pid.Id], describeRoomPayload(t, a.msg.Ack, true))
		}
	}
	return got
}

func ackPtrs(acks []roomAck) []*roomAck {
	out := make([]*roomAck, len(acks))
	for i := range acks {
		out[i] = &acks[i]
	}
	return out
}

// roomOp is one step of a room's life: something happens, time passes, and (when
// flush) the room flushes; want is what each conn receives from all of it.
type roomOp struct {
	do    func(r *roomRig)
	after time.Duration // the clock moves by this before the flush
	flush bool
	want  map[string][]string
}

type roomRig struct {
	t     *testing.T
	s     *roomState
	now   time.Time
	grace time.Duration
	seq   uint64
	// immediate are the answers given outside a flush (a join superseded, a leave
	// before its join's answer).
	immediate []*roomAck
	// became and gone are the local transitions the RoomCluster seam would be told of.
	became, gone []int64
}

func (r *roomRig) join(conn string, user int64, count bool) {
	r.seq++
	became, sup := r.s.join(&JoinRoom{Room: r.s.name, ConnID: conn, PID: actor.NewPID("local", conn),
		User: User{ID: user, Username: fmt.Sprint("u", user)}, Count: count, Seq: r.seq, AckID: int64(r.seq)})
	if became {
		r.became = append(r.became, user)
	}
	r.immediate = append(r.immediate, sup)
}

func (r *roomRig) leave(conn string, atOnce bool) {
	user, gone, ack := r.s.leave(conn, r.now, r.grace, atOnce)
	if gone {
		r.gone = append(r.gone, user)
	}
	r.immediate = append(r.immediate, ack)
}

func TestRoomState(t *testing.T) {
	none := map[string][]string{}
	join := func(conn string, user int64) func(*roomRig) { return func(r *roomRig) { r.join(conn, user, false) } }
	joinCount := func(conn string, user int64) func(*roomRig) { return func(r *roomRig) { r.join(conn, user, true) } }
	leave := func(conn string) func(*roomRig) { return func(r *roomRig) { r.leave(conn, false) } }
	leaveAtOnce := func(conn string) func(*roomRig) { return func(r *roomRig) { r.leave(conn, true) } }
	all := func(fs ...func(*roomRig)) func(*roomRig) {
		return func(r *roomRig) {
			for _, f := range fs {
				f(r)
			}
		}
	}
	nothing := func(*roomRig) {}
	tests := []struct {
		name    string
		listMax int
		ops     []roomOp
		version uint64
	}{
		{"a join is answered at the flush, listing the joiner", 0, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: nothing, flush: true, want: none},
		}, 1},
		{"members see a join as a diff; the joiner's ack is the list after it", 0, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: join("b", 2), flush: true, want: map[string][]string{"a": {"list v2 +[2] -[]"}, "b": {"ack list v2 [1 2]"}}},
		}, 2},
		{"joins in one window are one version", 0, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: all(join("b", 2), join("c", 3)), flush: true, want: map[string][]string{
				"a": {"list v2 +[2 3] -[]"}, "b": {"ack list v2 [1 2 3]"}, "c": {"ack list v2 [1 2 3]"}}},
		}, 2},
		{"a second tab changes nothing", 0, []roomOp{
			{do: all(join("a", 1), join("b", 2)), flush: true, want: map[string][]string{"a": {"ack list v1 [1 2]"}, "b": {"ack list v1 [1 2]"}}},
			{do: join("b2", 2), flush: true, want: map[string][]string{"b2": {"ack list v1 [1 2]"}}},
			{do: leave("b"), after: time.Second, flush: true, want: none},
		}, 1},
		{"the last leave takes effect after the grace", 0, []roomOp{
			{do: all(join("a", 1), join("b", 2)), flush: true, want: map[string][]string{"a": {"ack list v1 [1 2]"}, "b": {"ack list v1 [1 2]"}}},
			{do: leave("b"), after: 199 * time.Millisecond, flush: true, want: none},
			{do: nothing, after: time.Millisecond, flush: true, want: map[string][]string{"a": {"list v2 +[] -[2]"}}},
		}, 2},
		{"a rejoin inside the grace is no change", 0, []roomOp{
			{do: all(join("a", 1), join("b", 2)), flush: true, want: map[string][]string{"a": {"ack list v1 [1 2]"}, "b": {"ack list v1 [1 2]"}}},
			{do: leave("b"), after: 100 * time.Millisecond, flush: true, want: none},
			{do: join("b2", 2), after: time.Second, flush: true, want: map[string][]string{"b2": {"ack list v1 [1 2]"}}},
		}, 1},
		{"an unbind leaves at once", 0, []roomOp{
			{do: all(join("a", 1), join("b", 2)), flush: true, want: map[string][]string{"a": {"ack list v1 [1 2]"}, "b": {"ack list v1 [1 2]"}}},
			{do: leaveAtOnce("b"), flush: true, want: map[string][]string{"a": {"list v2 +[] -[2]"}}},
		}, 2},
		{"a join and its leave in one window cancel out; the join is still answered", 0, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: all(join("b", 2), leaveAtOnce("b")), flush: true, want: map[string][]string{"b": {"ack list v1 [1]"}}},
		}, 1},
		{"a second join before the answer answers the first at once", 0, []roomOp{
			{do: all(join("a", 1), join("a", 1)), flush: true, want: map[string][]string{"a": {"ack list v0 []", "ack list v1 [1]"}}},
		}, 1},
		{"count mode: the count at most once a second", 0, []roomOp{
			{do: joinCount("a", 1), flush: true, want: map[string][]string{"a": {"ack count v1 n=1"}}},
			{do: join("b", 2), flush: true, want: map[string][]string{"a": {"count v2 n=2"}, "b": {"ack list v2 [1 2]"}}},
			{do: join("c", 3), after: 500 * time.Millisecond, flush: true, want: map[string][]string{"b": {"list v3 +[3] -[]"}, "c": {"ack list v3 [1 2 3]"}}},
			{do: nothing, after: 499 * time.Millisecond, flush: true, want: none},
			{do: nothing, after: time.Millisecond, flush: true, want: map[string][]string{"a": {"count v3 n=3"}}},
			{do: nothing, after: 5 * time.Second, flush: true, want: none},
		}, 3},
		{"a rejoin changes the mode", 0, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: joinCount("a", 1), flush: true, want: map[string][]string{"a": {"ack count v1 n=1"}}},
			{do: join("b", 2), flush: true, want: map[string][]string{"a": {"count v2 n=2"}, "b": {"ack list v2 [1 2]"}}},
		}, 2},
		{"above listMax every member gets counts; back at listMin, lists again", 2, []roomOp{
			{do: all(join("a", 1), join("b", 2), joinCount("k", 9)), flush: true, want: map[string][]string{
				"a": {"ack count v1 n=3"}, "b": {"ack count v1 n=3"}, "k": {"ack count v1 n=3"}}},
			{do: all(join("c", 3), join("d", 4)), after: 10 * time.Millisecond, flush: true, want: map[string][]string{
				"a": {"count v2 n=5"}, "b": {"count v2 n=5"}, "k": {"count v2 n=5"}, "c": {"ack count v2 n=5"}, "d": {"ack count v2 n=5"}}},
			{do: join("f", 6), after: 500 * time.Millisecond, flush: true, want: map[string][]string{"f": {"ack count v3 n=6"}}},
			{do: nothing, after: 499 * time.Millisecond, flush: true, want: none},
			{do: nothing, after: time.Millisecond, flush: true, want: map[string][]string{
				"a": {"count v3 n=6"}, "b": {"count v3 n=6"}, "c": {"count v3 n=6"}, "d": {"count v3 n=6"}, "k": {"count v3 n=6"}, "f": {"count v3 n=6"}}},
			{do: all(leaveAtOnce("c"), leaveAtOnce("d"), leaveAtOnce("k"), leaveAtOnce("f")), after: 2 * time.Second, flush: true, want: map[string][]string{
				"a": {"full v4 [1 2]"}, "b": {"full v4 [1 2]"}}},
			{do: join("e", 5), flush: true, want: map[string][]string{
				"a": {"count v5 n=3"}, "b": {"count v5 n=3"}, "e": {"ack count v5 n=3"}}},
		}, 5},
		{"the joiner that crosses listMax is answered in count mode", 1, []roomOp{
			{do: join("a", 1), flush: true, want: map[string][]string{"a": {"ack list v1 [1]"}}},
			{do: join("b", 2), flush: true, want: map[string][]string{"a": {"count v2 n=2"}, "b": {"ack count v2 n=2"}}},
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &roomRig{t: t, s: newRoomState("public:lobby", tc.listMax), now: time.Unix(1_000_000, 0), grace: 200 * time.Millisecond}
			for i, op := range tc.ops {
				r.immediate = nil
				op.do(r)
				r.now = r.now.Add(op.after)
				var out roomFlush
				if op.flush {
					r.s.expire(r.now)
					out = r.s.flush(r.now)
				}
				got := received(t, out, r.immediate...)
				for _, l := range got {
					sort.Strings(l)
				}
				for _, l := range op.want {
					sort.Strings(l)
				}
				if !reflect.DeepEqual(got, op.want) {
					t.Fatalf("step %d: received %v, want %v", i, got, op.want)
				}
				if op.flush && r.s.dirty() {
					t.Fatalf("step %d: dirty after a flush", i)
				}
			}
			if r.s.version != tc.version {
				t.Fatalf("version %d, want %d", r.s.version, tc.version)
			}
		})
	}
}

// TestRoomStateTransitions: what the RoomCluster seam is told (a user's first socket
// here, its last one gone after the grace), when the room wakes, and when it is idle.
func TestRoomStateTransitions(t *testing.T) {
	r := &roomRig{t: t, s: newRoomState("r", 0), now: time.Unix(1_000_000, 0), grace: time.Second}
	r.join("a", 1, false)
	r.join("a2", 1, false)
	r.join("b", 2, false)
	r.s.flush(r.now)
	if !reflect.DeepEqual(r.became, []int64{1, 2}) {
		t.Fatalf("became %v", r.became)
	}
	r.leave("a", false)
	r.leave("a2", false)
	if len(r.gone) != 0 || !r.s.nextWake().Equal(r.now.Add(time.Second)) {
		t.Fatalf("gone %v before the grace; wake %v", r.gone, r.s.nextWake())
	}
	if got := r.s.expire(r.now.Add(time.Second)); !reflect.DeepEqual(got, []int64{1}) {
		t.Fatalf("expired %v", got)
	}
	r.leave("b", true)
	if !reflect.DeepEqual(r.gone, []int64{2}) {
		t.Fatalf("gone %v", r.gone)
	}
	if r.s.idle() {
		t.Fatal("idle before the leaves were published")
	}
	out := r.s.flush(r.now)
	if !out.changed || out.delta != -2 || !r.s.idle() || !r.s.nextWake().IsZero() {
		t.Fatalf("after the last flush: changed %v delta %d idle %v wake %v", out.changed, out.delta, r.s.idle(), r.s.nextWake())
	}
}

// TestRoomStateRemote: members through other nodes (the RoomCluster seam) are members;
// stale transitions are ignored; a whole read replaces them.
func TestRoomStateRemote(t *testing.T) {
	r := &roomRig{t: t, s: newRoomState("r", 0), now: time.Unix(1_000_000, 0), grace: time.Second}
	r.join("a", 1, false)
	r.s.flush(r.now)
	r.s.remoteChanged(User{ID: 7}, true, 5)
	r.s.remoteChanged(User{ID: 8}, true, 4) // older than 5: ignored
	got := received(t, r.s.flush(r.now))
	if !reflect.DeepEqual(got, map[string][]string{"a": {"list v2 +[7] -[]"}}) {
		t.Fatalf("remote join: %v", got)
	}
	// Present here and elsewhere: one member; leaving elsewhere changes nothing.
	r.s.remoteChanged(User{ID: 1}, true, 6)
	r.s.remoteChanged(User{ID: 1}, false, 7)
	if out := r.s.flush(r.now); out.changed {
		t.Fatalf("a user present here left elsewhere: %v", received(t, out))
	}
	r.s.remoteReplaced([]User{{ID: 9}}, 10)
	got = received(t, r.s.flush(r.now))
	if !reflect.DeepEqual(got, map[string][]string{"a": {"list v3 +[9] -[7]"}}) {
		t.Fatalf("remote read: %v", got)
	}
	if p := r.s.presence(1); p.Count != 2 || len(p.Users) != 1 || p.Users[0].ID != 1 || p.Version != 3 {
		t.Fatalf("presence capped at 1: %+v", p)
	}
	r.leave("a", true)
	r.s.flush(r.now)
	if !r.s.idle() {
		t.Fatal("a room with members only elsewhere needs no actor here")
	}
}
