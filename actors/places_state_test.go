package actors

import (
	"fmt"
	"slices"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func TestPlaceBookReserve(t *testing.T) {
	type step struct {
		release bool
		user    int64
		conn    string
		want    bool // reserve: granted; release: a place was given back
	}
	tests := []struct {
		name  string
		limit int
		steps []step
		count map[int64]int
	}{
		{"up to the limit, then refused", 2, []step{
			{false, 1, "a", true}, {false, 1, "b", true}, {false, 1, "c", false},
		}, map[int64]int{1: 2}},
		{"a conn reserving its own place again takes no second one", 2, []step{
			{false, 1, "a", true}, {false, 1, "a", true}, {false, 1, "b", true},
		}, map[int64]int{1: 2}},
		{"a release makes room", 1, []step{
			{false, 1, "a", true}, {false, 1, "b", false}, {true, 1, "a", true}, {false, 1, "b", true},
		}, map[int64]int{1: 1}},
		{"users are counted apart", 1, []step{
			{false, 1, "a", true}, {false, 2, "b", true}, {false, 2, "c", false},
		}, map[int64]int{1: 1, 2: 1}},
		{"releasing twice, or what was never held, gives nothing back", 1, []step{
			{false, 1, "a", true}, {true, 1, "a", true}, {true, 1, "a", false}, {true, 2, "x", false},
		}, map[int64]int{}},
		{"one conn may hold places of two users while it moves", 1, []step{
			{false, 1, "a", true}, {false, 2, "a", true}, {true, 1, "a", true},
		}, map[int64]int{2: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlaceBook()
			for i, s := range tc.steps {
				var got bool
				if s.release {
					got = b.remove(s.user, s.conn)
				} else {
					got = b.reserve(s.user, s.conn, tc.limit)
				}
				if got != s.want {
					t.Fatalf("step %d %+v: got %v", i, s, got)
				}
			}
			if got := b.counts(); fmt.Sprint(got) != fmt.Sprint(tc.count) {
				t.Fatalf("counts %v, want %v", got, tc.count)
			}
			n := 0
			for _, c := range tc.count {
				n += c
			}
			if b.total() != n {
				t.Fatalf("total %d, want %d", b.total(), n)
			}
		})
	}
}

func reserveReq(user int64, conn string, reply ...*actor.PID) placeRequest {
	return placeRequest{key: placeKey{user, conn}, replies: reply}
}

func releaseReq(user int64, conn string) placeRequest {
	return placeRequest{release: true, key: placeKey{user, conn}}
}

// describe renders requests as "+1a -1b" for comparisons.
func describe(rs []placeRequest) string {
	var out []string
	for _, r := range rs {
		op := "+"
		if r.release {
			op = "-"
		}
		out = append(out, fmt.Sprintf("%s%d%s", op, r.key.user, r.key.conn))
	}
	return fmt.Sprint(out)
}

func TestPlaceQueuePush(t *testing.T) {
	p1, p2 := actor.NewPID("l", "1"), actor.NewPID("l", "2")
	tests := []struct {
		name string
		push []placeRequest
		want string
	}{
		{"in order", []placeRequest{reserveReq(1, "a"), releaseReq(2, "b"), reserveReq(1, "c")}, "[+1a -2b +1c]"},
		{"a release cancels its queued reservation", []placeRequest{reserveReq(1, "a"), reserveReq(1, "b"), releaseReq(1, "a")}, "[+1b]"},
		{"a release then a new reservation both stand", []placeRequest{releaseReq(1, "a"), reserveReq(1, "a")}, "[-1a +1a]"},
		{"release, reserve, release: the last cancels the reservation only", []placeRequest{releaseReq(1, "a"), reserveReq(1, "a"), releaseReq(1, "a")}, "[-1a]"},
		{"a second reservation shares the first", []placeRequest{reserveReq(1, "a", p1), reserveReq(1, "a", p2)}, "[+1a]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q placeQueue
			for _, r := range tc.push {
				q.push(r)
			}
			if got := describe(q); got != tc.want {
				t.Fatalf("queue %s, want %s", got, tc.want)
			}
		})
	}
	var q placeQueue
	q.push(reserveReq(1, "a", p1))
	q.push(reserveReq(1, "a", p2))
	if !slices.Equal(q[0].replies, []*actor.PID{p1, p2}) {
		t.Fatalf("replies %v", q[0].replies)
	}
}

func TestPlaceBookPlan(t *testing.T) {
	tests := []struct {
		name                  string
		held                  []placeKey
		limit                 int
		batch                 []placeRequest
		ops, granted, refused string
	}{
		{"fresh reservations go to Redis", nil, 2,
			[]placeRequest{reserveReq(1, "a"), reserveReq(1, "b")}, "[+1a +1b]", "[]", "[]"},
		{"beyond what this node alone holds: refused here", nil, 2,
			[]placeRequest{reserveReq(1, "a"), reserveReq(1, "b"), reserveReq(1, "c")}, "[+1a +1b]", "[]", "[+1c]"},
		{"a place held is granted without Redis", []placeKey{{1, "a"}}, 2,
			[]placeRequest{reserveReq(1, "a")}, "[]", "[+1a]", "[]"},
		{"a release earlier in the batch makes room", []placeKey{{1, "a"}, {1, "b"}}, 2,
			[]placeRequest{releaseReq(1, "a"), reserveReq(1, "c")}, "[-1a +1c]", "[]", "[]"},
		{"a release of a place not held is dropped", nil, 2,
			[]placeRequest{releaseReq(1, "a")}, "[]", "[]", "[]"},
		{"released then reserved again by the same conn", []placeKey{{1, "a"}}, 1,
			[]placeRequest{releaseReq(1, "a"), reserveReq(1, "a")}, "[-1a +1a]", "[]", "[]"},
		{"at the limit on this node: refused, other users unaffected", []placeKey{{1, "a"}}, 1,
			[]placeRequest{reserveReq(1, "b"), reserveReq(2, "c")}, "[+2c]", "[]", "[+1b]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlaceBook()
			for _, k := range tc.held {
				b.add(k.user, k.conn)
			}
			before := fmt.Sprint(b.counts())
			p := b.plan(tc.batch, tc.limit)
			if describe(p.ops) != tc.ops || describe(p.granted) != tc.granted || describe(p.refused) != tc.refused {
				t.Fatalf("ops %s granted %s refused %s; want %s %s %s",
					describe(p.ops), describe(p.granted), describe(p.refused), tc.ops, tc.granted, tc.refused)
			}
			if after := fmt.Sprint(b.counts()); after != before {
				t.Fatalf("plan changed the book: %s → %s", before, after)
			}
		})
	}
}
