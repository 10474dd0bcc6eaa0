package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// roomBenchSocket counts what a member is handed; a room's probe also keeps the last
// version of the room's updates.
type roomBenchSocket struct {
	probe   bool
	version atomic.Int64
	acks    atomic.Int64
}

func (s *roomBenchSocket) Emit(ev *Event) bool {
	if s.probe && ev.Name == EventRoomUpdate {
		s.version.Store(versionOf(ev.Data))
	}
	return true
}

func (s *roomBenchSocket) Ack(int64, []byte) bool   { s.acks.Add(1); return true }
func (s *roomBenchSocket) Close(closereason.Reason) {}

func versionOf(data []byte) int64 {
	i := bytes.Index(data, []byte(`"version":`))
	if i < 0 {
		return -1
	}
	j := i + len(`"version":`)
	k := j
	for k < len(data) && data[k] >= '0' && data[k] <= '9' {
		k++
	}
	v, _ := strconv.ParseInt(string(data[j:k]), 10, 64)
	return v
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRoomJoinLeave: sockets of distinct users in rooms of 10 (10,000 sockets in
// 1,000 rooms, and 1,000 in 100 for comparison). One op is one member leaving its
// room and joining it again: two published changes, each waited for (its 9 other
// members see it; the rejoin's ack holds the list). The cost of a change should be the
// room's size whatever the number of sockets: deliveries/op ≈ 19 (9 + 9 updates and
// one ack), and presence handles no message for it (presence-msgs/op 0). cpu-µs/op
// is the process's CPU time (user + system) per op; ns/op is bound by the 1 ms
// coalescing window (ops run 1,000 rooms at a time).
func BenchmarkRoomJoinLeave(b *testing.B) {
	for _, sockets := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("sockets=%d", sockets), func(b *testing.B) { benchRoomJoinLeave(b, sockets) })
	}
}

func benchRoomJoinLeave(b *testing.B, sockets int) {
	const size = 10
	rooms := sockets / size
	ver := &fakeVerifier{grants: map[string]Grant{}}
	dir := fakeDirectory{}
	sys, err := Start(Config{
		PingInterval: time.Hour, OfflineGrace: -1, Coalesce: time.Millisecond,
		PresenceEventRate: 1e9, PresenceEventBurst: 1e9, MaxConnsPerUser: -1,
		GlobalPresence: GlobalOff, // the rooms are measured, not the 10,000-socket online list
		Verifier:       ver, Directory: dir,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = sys.Shutdown(ctx)
	}()
	type member struct {
		conn *Conn
		sock *roomBenchSocket
	}
	members := make([][]member, rooms)
	joinArgs := make([][]json.RawMessage, rooms)
	leaveArgs := make([][]json.RawMessage, rooms)
	for i := 0; i < sockets; i++ {
		r, uid := i%rooms, int64(i+1)
		dir[uid] = User{ID: uid, Username: fmt.Sprint("u", uid)}
		tok := fmt.Sprint("tok-", i)
		ver.grants[tok] = Grant{UserID: uid, JTI: fmt.Sprint("j", i), ExpiresAt: time.Now().Add(time.Hour)}
		sock := &roomBenchSocket{probe: len(members[r]) == 0}
		c, err := sys.OpenConn(fmt.Sprint("c", i), sock, sys.Resolve(context.Background(), tok))
		if err != nil {
			b.Fatal(err)
		}
		members[r] = append(members[r], member{c, sock})
	}
	for r := range members {
		joinArgs[r] = []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"room":"public:room-%d"}`, r))}
		leaveArgs[r] = joinArgs[r]
		for _, m := range members[r] {
			m.conn.Event(EventRoomJoin, joinArgs[r], 1)
		}
	}
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	waitFor("every join's ack", func() bool {
		for _, ms := range members {
			for _, m := range ms {
				if m.sock.acks.Load() == 0 {
					return false
				}
			}
		}
		return true
	})
	// The binds' messages to presence (and its users' answers) are all handled first:
	// what presence handles from here on is the rooms' doing.
	waitFor("presence to settle", func() bool {
		return sys.Stats().UsersLocal.Load() == int64(sockets) && sys.KindStats(KindPresence).Queued.Load() == 0 &&
			sys.KindStats(KindUser).Queued.Load() == 0
	})
	version := make([]int64, rooms)
	for r := range members {
		rp, err := sys.RoomPresence(context.Background(), fmt.Sprintf("public:room-%d", r))
		if err != nil || rp.Count != size {
			b.Fatalf("room %d: %+v, %v", r, rp, err)
		}
		version[r] = int64(rp.Version)
		members[r][0].sock.version.Store(version[r])
	}

	st := sys.Stats()
	updates0, presence0 := st.RoomUpdates.Load(), sys.KindStats(KindPresence).Handled.Load()
	cpu0 := cpuTime()
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(b.N-done, rooms)
		for r := 0; r < k; r++ {
			members[r][size-1].conn.Event(EventRoomLeave, leaveArgs[r], -1)
		}
		waitFor("the leaves", func() bool {
			for r := 0; r < k; r++ {
				if members[r][0].sock.version.Load() != version[r]+1 {
					return false
				}
			}
			return true
		})
		acks := make([]int64, k)
		for r := 0; r < k; r++ {
			mover := members[r][size-1]
			acks[r] = mover.sock.acks.Load()
			mover.conn.Event(EventRoomJoin, joinArgs[r], 2)
		}
		waitFor("the joins", func() bool {
			for r := 0; r < k; r++ {
				if members[r][0].sock.version.Load() != version[r]+2 || members[r][size-1].sock.acks.Load() == acks[r] {
					return false
				}
			}
			return true
		})
		for r := 0; r < k; r++ {
			version[r] += 2
		}
		done += k
	}
	b.StopTimer()
	ops := float64(b.N)
	b.ReportMetric(float64(cpuTime()-cpu0)/1e3/ops, "cpu-µs/op")
	b.ReportMetric(float64(st.RoomUpdates.Load()-updates0+uint64(b.N))/ops, "deliveries/op")
	b.ReportMetric(float64(sys.KindStats(KindPresence).Handled.Load()-presence0)/ops, "presence-msgs/op")
}
