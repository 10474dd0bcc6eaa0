package main

import (
	"sort"
)

// scopedReport is the summary of a rooms, watch or global run.
type scopedReport struct {
	Mode        string            `json:"mode"`
	RoomSize    int               `json:"room_size,omitempty"`
	RoomMode    string            `json:"room_mode,omitempty"`
	Rooms       int               `json:"rooms,omitempty"`
	Watch       int               `json:"watch,omitempty"`
	Observers   int               `json:"observers,omitempty"` // global: sockets that time notifications
	ChurnBy     string            `json:"churn_by"`            // leave+join, logout+login or close+open
	ChurnPerSec float64           `json:"churn_per_s"`         // leaves + rejoins asked for per second
	HoldMS      float64           `json:"churn_hold_ms"`
	Setup       setupReport       `json:"setup"`
	Idle        *idleReport       `json:"idle,omitempty"`
	Window      *scopedWindow     `json:"window,omitempty"`
	AckFailures map[string]uint64 `json:"ack_failures,omitempty"` // refused acks, "request:code" → count
}

// setupReport is the phase that puts every socket in scope: its joins or
// watches (acked one by one, -inflight at a time), or for global the wait
// for every socket's full list.
type setupReport struct {
	Request string         `json:"request"`
	Seconds float64        `json:"seconds"`
	OK      uint64         `json:"ok"`
	Latency latencySummary `json:"ack_latency"`
}

// idleReport is the server with every socket in scope and no churn.
type idleReport struct {
	Seconds     float64 `json:"seconds"`
	ServerCores float64 `json:"server_cores"`
	OthersCores float64 `json:"others_cores"`
}

type scopedWindow struct {
	Seconds       float64 `json:"seconds"`  // the window measured: -duration
	StartS        float64 `json:"start_s"`  // when it opened, from the start of the connect phase
	WarmupS       float64 `json:"warmup_s"` // the churn ran this long before it opened (-warmup)
	Changes       uint64  `json:"changes"`  // leaves and rejoins sent in the window
	ChangesPerSec float64 `json:"changes_per_s"`

	Traffic            trafficReport `json:"traffic"`
	BytesPerSocketSec  float64       `json:"bytes_per_socket_s"` // presence traffic (Traffic.Presence)
	FramesPerSocketSec float64       `json:"frames_per_socket_s"`

	ServerCPUSeconds   float64 `json:"server_cpu_s"`
	ServerCores        float64 `json:"server_cores"`
	CPUSource          string  `json:"cpu_source"` // schedstat (ns) or stat (10 ms ticks)
	CPUPerChangeUS     float64 `json:"server_cpu_us_per_change,omitempty"`
	NetCPUPerChangeUS  float64 `json:"server_cpu_us_per_change_net,omitempty"`  // less the idle phase's rate
	StatCPUPerChangeUS float64 `json:"server_cpu_us_per_change_stat,omitempty"` // from /proc/PID/stat, a cross-check

	JoinNotify    latencySummary `json:"join_notify"` // a join (bind) sent → each other member (watcher, observer) notified
	LeaveNotify   latencySummary `json:"leave_notify"`
	JoinExpected  uint64         `json:"join_expected"`
	JoinNotified  uint64         `json:"join_notified"`
	LeaveExpected uint64         `json:"leave_expected"`
	LeaveNotified uint64         `json:"leave_notified"`
	JoinCoverage  float64        `json:"join_coverage,omitempty"` // notified ÷ expected
	LeaveCoverage float64        `json:"leave_coverage,omitempty"`

	Acks  map[string]ackReport `json:"acks"` // requests sent in the window, by kind
	Count *countReport         `json:"count,omitempty"`

	InScopeEnd  int     `json:"in_scope_end"`
	SelfCores   float64 `json:"self_cores"`
	OthersCores float64 `json:"others_cores"`
	KernelCores float64 `json:"kernel_thread_cores"`
}

type ackReport struct {
	OK      uint64         `json:"ok"`
	Failed  uint64         `json:"failed"`
	Latency latencySummary `json:"latency"`
}

// countReport is the count-mode frames the members got in the window.
type countReport struct {
	Frames             uint64  `json:"frames"`
	FramesPerMemberSec float64 `json:"frames_per_member_s"`
	MaxRatePerMember   float64 `json:"max_rate_per_member_per_s"` // the highest rate one member got them at: (frames − 1) ÷ (last − first)
	MinGapMS           float64 `json:"min_gap_ms"`                // shortest time between two frames to one member (delivery jitter included)
}

func (s *scopedReport) writeText(p func(string, ...any)) {
	switch s.Mode {
	case modeRooms:
		p("  rooms        %d room(s) of %d (%s mode); churn %s/s %s, hold %.0fms", s.Rooms, s.RoomSize, s.RoomMode, formatRate(s.ChurnPerSec), s.ChurnBy, s.HoldMS)
	case modeWatch:
		p("  watch        each socket watches %d; churn %s/s %s, hold %.0fms", s.Watch, formatRate(s.ChurnPerSec), s.ChurnBy, s.HoldMS)
	default:
		p("  global list  %d observers time notifications; churn %s/s %s, hold %.0fms", s.Observers, formatRate(s.ChurnPerSec), s.ChurnBy, s.HoldMS)
	}
	if s.Setup.Latency.Count > 0 {
		p("  setup        %d in scope after %.2fs (%s; ack p50 %.1fms p99 %.1fms)", s.Setup.OK, s.Setup.Seconds, s.Setup.Request, s.Setup.Latency.P50, s.Setup.Latency.P99)
	} else {
		p("  setup        %d in scope after %.2fs (%s)", s.Setup.OK, s.Setup.Seconds, s.Setup.Request)
	}
	if i := s.Idle; i != nil {
		p("  idle         %.1fs: server %.3f cores", i.Seconds, i.ServerCores)
	}
	w := s.Window
	if w == nil {
		return
	}
	p("  window       %.1fs, opened %.1fs after the connect began (after setup, idle and %.1fs of warm-up churn); rates are over the window",
		w.Seconds, w.StartS, w.WarmupS)
	p("  changes      %d = %s/s; %d sockets in scope at the end", w.Changes, formatRate(w.ChangesPerSec), w.InScopeEnd)
	p("  received     %s bytes and %s frames per socket per second (presence); all frames: %s B/s",
		formatRate(w.BytesPerSocketSec), formatRate(w.FramesPerSocketSec), formatRate(w.Traffic.All.BytesPerSocketSec))
	kinds := make([]string, 0, len(w.Traffic.ByKind))
	for k := range w.Traffic.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t := w.Traffic.ByKind[k]
		p("    %-40s %10s B/s %8s frames/s per socket", k, formatRate(t.BytesPerSocketSec), formatRate(t.FramesPerSocketSec))
	}
	p("  server       %.3f cores (%s): %.1f µs CPU per change, %.1f net of idle, %.1f from /proc/PID/stat",
		w.ServerCores, w.CPUSource, w.CPUPerChangeUS, w.NetCPUPerChangeUS, w.StatCPUPerChangeUS)
	if w.JoinExpected > 0 || w.JoinNotified > 0 {
		p("  join→notified p50 %.1fms p90 %.1fms p99 %.1fms max %.1fms (%d of %d expected)",
			w.JoinNotify.P50, w.JoinNotify.P90, w.JoinNotify.P99, w.JoinNotify.Max, w.JoinNotified, w.JoinExpected)
		p("  leave→notified p50 %.1fms p90 %.1fms p99 %.1fms max %.1fms (%d of %d expected)",
			w.LeaveNotify.P50, w.LeaveNotify.P90, w.LeaveNotify.P99, w.LeaveNotify.Max, w.LeaveNotified, w.LeaveExpected)
	}
	acks := make([]string, 0, len(w.Acks))
	for k := range w.Acks {
		acks = append(acks, k)
	}
	sort.Strings(acks)
	for _, k := range acks {
		a := w.Acks[k]
		p("  ack %-8s %d ok, %d refused; p50 %.1fms p99 %.1fms max %.1fms", k, a.OK, a.Failed, a.Latency.P50, a.Latency.P99, a.Latency.Max)
	}
	if c := w.Count; c != nil {
		p("  count mode   %d frames = %.2f per member per second; the highest rate to one member %.3f/s; shortest gap %.0fms",
			c.Frames, c.FramesPerMemberSec, c.MaxRatePerMember, c.MinGapMS)
	}
	p("  machine      load generator %.2f cores, kernel threads %.2f, others %.2f cores", w.SelfCores, w.KernelCores, w.OthersCores)
}
