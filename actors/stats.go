package actors

import (
	"maps"
	"os"
	"sort"
	"time"
)

// FanoutBuckets are the upper bounds of the deliveries-per-update histogram.
var FanoutBuckets = []uint64{1, 10, 100, 1_000, 10_000, 100_000}

// highWaterWindow is how many one-second high-water marks KindStats.HighWater spans.
const highWaterWindow = 10

// StatsPayload is server-action:stats, pushed every second to sockets bound to staff
// users: the live figures of this node.
type StatsPayload struct {
	Node        string           `json:"node"`
	At          int64            `json:"at"` // unix ms
	Connections map[string]int64 `json:"connections"`
	UsersOnline int64            `json:"users_online"`
	PongsPerSec float64          `json:"pongs_per_s"`
	Broadcasts  uint64           `json:"broadcasts"`
	Actors      map[string]int64 `json:"actors"`
	MailboxHWM  map[string]int64 `json:"mailbox_high_water"`
	Extra       map[string]any   `json:"extra,omitempty"`
	// Nodes are the other nodes' latest figures (with Redis), each without Nodes.
	Nodes []*StatsPayload `json:"nodes,omitempty"`
}

// remoteStatsTTL is how long another node's figures are shown after its last report.
const remoteStatsTTL = 5 * time.Second

// statsLoop runs once a second: it rotates the mailbox high-water windows and, when
// staff sockets are bound, has presence push the figures to them.
func (s *System) statsLoop(stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// pongs/s over the last few seconds: over one second it aliases with the sweep
	// (a 1 s ping interval makes it swing between 0 and twice the rate).
	type sample struct {
		pongs uint64
		at    time.Time
	}
	const rateWindow = 5
	var window [rateWindow]sample
	for i := range window {
		window[i] = sample{s.stats.Pongs.Load(), s.now()}
	}
	for slot := 0; ; slot = (slot + 1) % highWaterWindow {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := s.now()
		p := &StatsPayload{
			Node: s.node, At: now.UnixMilli(),
			Connections: map[string]int64{"anonymous": s.stats.ConnsAnonymous.Load(), "bound": s.stats.ConnsBound.Load()},
			UsersOnline: s.stats.UsersOnline.Load(), Broadcasts: s.stats.Broadcasts.Load(),
			Actors: map[string]int64{}, MailboxHWM: map[string]int64{},
		}
		for _, k := range Kinds() {
			ks := &s.kinds[k]
			ks.recent[slot].Store(ks.TakeHighWater())
			p.Actors[k.String()] = ks.Live.Load()
			p.MailboxHWM[k.String()] = ks.recent[slot].Load()
		}
		oldest := window[slot%rateWindow]
		window[slot%rateWindow] = sample{s.stats.Pongs.Load(), now}
		if el := now.Sub(oldest.at).Seconds(); el > 0 {
			p.PongsPerSec = float64(window[slot%rateWindow].pongs-oldest.pongs) / el
		}
		if s.cfg.ExtraStats != nil {
			p.Extra = maps.Clone(s.cfg.ExtraStats())
		}
		if s.bridge != nil {
			s.root.Send(s.bridge, &publishStats{payload: mustJSON(p)})
			p.Nodes = s.otherNodes(now)
		}
		s.lastStats.Store(p)
		s.root.Send(s.presence, &statsReady{Event: NewEvent(EventStats, mustJSON(p))})
	}
}

// LastStats is the most recent one-second figures (nil before the first second).
func (s *System) LastStats() *StatsPayload { return s.lastStats.Load() }

// HighWater is the highest mailbox backlog of the kind over the last ten seconds.
func (k *KindStats) HighWater() int64 {
	h := k.hwm.Load()
	for i := range k.recent {
		h = max(h, k.recent[i].Load())
	}
	return h
}

// FanoutHistogram returns the deliveries-per-update counts per FanoutBuckets bound
// (cumulative), their count and sum.
func (s *Stats) FanoutHistogram() (cumulative []uint64, count, sum uint64) {
	cumulative = make([]uint64, len(FanoutBuckets))
	var run uint64
	for i := range FanoutBuckets {
		run += s.fanout[i].Load()
		cumulative[i] = run
	}
	return cumulative, run + s.fanout[len(FanoutBuckets)].Load(), s.fanoutSum.Load()
}

func (s *Stats) observeFanout(n int) {
	i := 0
	for i < len(FanoutBuckets) && uint64(n) > FanoutBuckets[i] {
		i++
	}
	s.fanout[i].Add(1)
	s.fanoutSum.Add(uint64(n))
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "presenced"
	}
	return h
}

// otherNodes lists the other nodes' recent figures, sorted by node.
func (s *System) otherNodes(now time.Time) []*StatsPayload {
	var out []*StatsPayload
	s.remoteStats.Range(func(k, v any) bool {
		p := v.(*StatsPayload)
		if now.Sub(time.UnixMilli(p.At)) > remoteStatsTTL {
			s.remoteStats.Delete(k)
			return true
		}
		out = append(out, p)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}
