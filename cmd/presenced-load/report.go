package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// report is a run's summary: printed as text, or as JSON with -json (the
// benchmark runner reads that).
type report struct {
	Mode      string `json:"mode"`
	URL       string `json:"url"`
	ServerPID int    `json:"server_pid,omitempty"`
	N         int    `json:"n,omitempty"`
	Users     int    `json:"users,omitempty"`
	Probes    int    `json:"probes,omitempty"`
	Login     bool   `json:"login,omitempty"`
	Inflight  int    `json:"inflight,omitempty"`

	Connect       connectReport `json:"connect"`
	Settled       bool          `json:"settled"`
	SettleSeconds float64       `json:"settle_s"` // connect start → last socket's first (or settled) update

	Window   *windowReport  `json:"window,omitempty"`
	Syscalls *syscallReport `json:"syscalls,omitempty"`
	HTTP     *httpReport    `json:"http,omitempty"`
	Scoped   *scopedReport  `json:"scoped,omitempty"`
	Samples  []sample       `json:"samples,omitempty"`

	ServerRSSBaseKB      int64   `json:"server_rss_base_kb,omitempty"`      // before connecting
	ServerRSSConnectedKB int64   `json:"server_rss_connected_kb,omitempty"` // after settling
	ServerRSSKB          int64   `json:"server_rss_kb,omitempty"`           // at the window's end
	ServerRSSPerConnKB   float64 `json:"server_rss_per_conn_kb,omitempty"`  // (end − base) ÷ open sockets

	Errors     map[string]uint64 `json:"errors"`
	ErrorTotal uint64            `json:"error_total"`
	Failures   []string          `json:"failures,omitempty"` // why the run failed (scoped modes); the exit status is then 1
	Seeded     int               `json:"seeded,omitempty"`   // accounts registered by this run (no -tokens)
}

type connectReport struct {
	Seconds          float64        `json:"seconds"`
	Connected        int64          `json:"connected"`
	PerSecond        float64        `json:"per_s"`
	Latency          latencySummary `json:"latency"`
	ServerCPU        float64        `json:"server_cpu_s"`         // during the connect phase
	ServerCPUSettled float64        `json:"server_cpu_settled_s"` // until every socket settled
}

type windowReport struct {
	Seconds                float64            `json:"seconds"`  // the window measured: -duration (longer only while a tab-close probe waits)
	StartS                 float64            `json:"start_s"`  // when it opened, from the start of the connect phase
	WarmupS                float64            `json:"warmup_s"` // the pause between settling and the window (-warmup)
	PingsPerSec            float64            `json:"pings_per_s"`
	PongsPerSec            float64            `json:"pongs_per_s"` // answers to pings, sent
	ServerPongsPerSec      float64            `json:"server_pongs_per_s,omitempty"`
	HammerPerSec           float64            `json:"hammer_per_s,omitempty"`
	UpdatesPerSec          float64            `json:"updates_per_s"`
	RateLimited            uint64             `json:"rate_limited"`
	AnswersAcked           uint64             `json:"answers_acked,omitempty"`   // -ack-pongs: answers the server accepted
	AnswersLimited         uint64             `json:"answers_limited,omitempty"` // -ack-pongs: answers it rate-limited
	Closed                 uint64             `json:"closed_by_server"`
	Fanout                 latencySummary     `json:"fanout"`
	TabClose               latencySummary     `json:"tab_close"`
	TabCloseTimeouts       uint64             `json:"tab_close_timeouts,omitempty"`
	EnginePingsPerSec      float64            `json:"engine_pings_per_s"` // Engine.IO pings received
	ServerCPUSeconds       float64            `json:"server_cpu_s"`
	CPUSource              string             `json:"cpu_source"` // schedstat (ns) or stat (10 ms ticks)
	StatCPUSeconds         float64            `json:"stat_cpu_s"` // /proc/PID/stat's figure, beside a schedstat one
	ServerCores            float64            `json:"server_cores"`
	ServerCPUMicrosPerPong float64            `json:"server_cpu_us_per_pong,omitempty"`
	ServerGoroutines       int                `json:"server_goroutines,omitempty"`
	ServerFramesPerWrite   float64            `json:"server_frames_per_write,omitempty"`
	ServerMemory           map[string]float64 `json:"server_memory,omitempty"` // Go runtime gauges from /metrics at the window's end
	SelfCores              float64            `json:"self_cores"`
	OthersCores            float64            `json:"others_cores"` // CPU used by other processes: the noise
	KernelCores            float64            `json:"kernel_thread_cores"`
}

type syscallReport struct {
	Method  string  `json:"method"` // "perf" (every system call) or "proc-io" (read+write only)
	Seconds float64 `json:"seconds"`
	Count   float64 `json:"count"`
	Pongs   float64 `json:"pongs"`
	PerPong float64 `json:"per_pong"`
}

type httpReport struct {
	Registered      int            `json:"registered"`
	Logins          uint64         `json:"logins"`
	LoginsPerSec    float64        `json:"logins_per_s"`
	LoginLatency    latencySummary `json:"login_latency"`
	LoginCPUMicros  float64        `json:"server_cpu_us_per_login,omitempty"`
	Gets            uint64         `json:"gets"`
	GetsPerSec      float64        `json:"gets_per_s"`
	GetLatency      latencySummary `json:"get_latency"`
	GetCPUMicros    float64        `json:"server_cpu_us_per_get,omitempty"`
	Errors          uint64         `json:"errors"`
	LoginOthers     float64        `json:"login_others_cores"`
	GetOthers       float64        `json:"get_others_cores"`
	GetSelfCores    float64        `json:"get_self_cores"`
	GetServerCores  float64        `json:"get_server_cores"`
	LoginServerCore float64        `json:"login_server_cores"`
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("presenced-load %s → %s", r.Mode, r.URL)
	if r.Seeded > 0 {
		p("  seeded       %d accounts registered for this run (no -tokens)", r.Seeded)
	}
	if r.Mode == modeSockets {
		p("  sockets      %d over %d users (+%d probes), %d in flight, login first: %v", r.N, r.Users, r.Probes, r.Inflight, r.Login)
		p("  connect      %d in %.2fs = %s/s; latency p50 %.1fms p99 %.1fms; server CPU %.2fs",
			r.Connect.Connected, r.Connect.Seconds, formatRate(r.Connect.PerSecond), r.Connect.Latency.P50, r.Connect.Latency.P99, r.Connect.ServerCPU)
		p("  settled      %v after %.2fs (server CPU %.2fs)", r.Settled, r.SettleSeconds, r.Connect.ServerCPUSettled)
	}
	if r.Scoped != nil {
		p("  sockets      %d of %d users, %d in flight", r.N, r.Users, r.Inflight)
		p("  connect      %d in %.2fs = %s/s; latency p50 %.1fms p99 %.1fms; server CPU %.2fs",
			r.Connect.Connected, r.Connect.Seconds, formatRate(r.Connect.PerSecond), r.Connect.Latency.P50, r.Connect.Latency.P99, r.Connect.ServerCPU)
		r.Scoped.writeText(p)
	}
	if w := r.Window; w != nil {
		p("  window       %.1fs, opened %.1fs after the connect began (after connect, settle and %.1fs of warm-up); rates are over the window", w.Seconds, w.StartS, w.WarmupS)
		p("  rates        pings/s %s, pongs/s %s (server counted %s), hammer/s %s, updates/s %s",
			formatRate(w.PingsPerSec), formatRate(w.PongsPerSec), formatRate(w.ServerPongsPerSec), formatRate(w.HammerPerSec), formatRate(w.UpdatesPerSec))
		if w.AnswersAcked+w.AnswersLimited > 0 {
			p("  answers      %d acked ok, %d rate-limited", w.AnswersAcked, w.AnswersLimited)
		}
		p("  fan-out      p50 %.1fms p90 %.1fms p99 %.1fms max %.1fms (%d pings)", w.Fanout.P50, w.Fanout.P90, w.Fanout.P99, w.Fanout.Max, w.Fanout.Count)
		if w.TabClose.Count > 0 || w.TabCloseTimeouts > 0 {
			p("  tab close    p50 %.1fms p90 %.1fms p99 %.1fms max %.1fms (%d closes, %d timed out)",
				w.TabClose.P50, w.TabClose.P90, w.TabClose.P99, w.TabClose.Max, w.TabClose.Count, w.TabCloseTimeouts)
		}
		p("  server       %.2f cores (%s), %.2f µs CPU per pong, %d goroutines, %.2f frames per write; %.1f Engine.IO pings/s received",
			w.ServerCores, w.CPUSource, w.ServerCPUMicrosPerPong, w.ServerGoroutines, w.ServerFramesPerWrite, w.EnginePingsPerSec)
		p("  machine      load generator %.2f cores, kernel threads %.2f, others %.2f cores", w.SelfCores, w.KernelCores, w.OthersCores)
	}
	if r.ServerRSSKB > 0 || r.ServerRSSConnectedKB > 0 {
		p("  server RSS   base %d KB, settled %d KB, end %d KB = %.1f KB per connection",
			r.ServerRSSBaseKB, r.ServerRSSConnectedKB, r.ServerRSSKB, r.ServerRSSPerConnKB)
	}
	if s := r.Syscalls; s != nil {
		p("  syscalls     %.2f per pong (%s, %.0f calls, %.0f pongs in %.1fs)", s.PerPong, s.Method, s.Count, s.Pongs, s.Seconds)
	}
	if h := r.HTTP; h != nil {
		p("  logins       %s/s (%d; p50 %.1fms p99 %.1fms; %.0f µs server CPU each)", formatRate(h.LoginsPerSec), h.Logins, h.LoginLatency.P50, h.LoginLatency.P99, h.LoginCPUMicros)
		p("  GETs         %s/s (%d; p50 %.2fms p99 %.2fms; %.1f µs server CPU each)", formatRate(h.GetsPerSec), h.Gets, h.GetLatency.P50, h.GetLatency.P99, h.GetCPUMicros)
	}
	if len(r.Samples) > 0 {
		first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
		p("  samples      %d: RSS %d → %d KB, goroutines %d → %d", len(r.Samples), first.RSSKB, last.RSSKB, first.Goroutines, last.Goroutines)
	}
	var errs []string
	for k, v := range r.Errors {
		if v > 0 {
			errs = append(errs, fmt.Sprintf("%s=%d", k, v))
		}
	}
	sort.Strings(errs)
	if len(errs) == 0 {
		errs = []string{"none"}
	}
	p("  errors       %s", strings.Join(errs, " "))
	for _, f := range r.Failures {
		p("  FAILED       %s", f)
	}
}
