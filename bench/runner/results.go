package main

import (
	"encoding/json"
	"time"
)

// loadReport is the part of presenced-load's JSON summary the runner reads.
type loadReport struct {
	N       int `json:"n"`
	Connect struct {
		Seconds   float64 `json:"seconds"`
		Connected int64   `json:"connected"`
		PerSecond float64 `json:"per_s"`
	} `json:"connect"`
	Settled       bool    `json:"settled"`
	SettleSeconds float64 `json:"settle_s"`
	Window        *struct {
		Seconds           float64            `json:"seconds"`
		PingsPerSec       float64            `json:"pings_per_s"`
		PongsPerSec       float64            `json:"pongs_per_s"`
		ServerPongsPerSec float64            `json:"server_pongs_per_s"`
		HammerPerSec      float64            `json:"hammer_per_s"`
		RateLimited       uint64             `json:"rate_limited"`
		AnswersAcked      uint64             `json:"answers_acked"`
		AnswersLimited    uint64             `json:"answers_limited"`
		Closed            uint64             `json:"closed_by_server"`
		Fanout            latency            `json:"fanout"`
		TabClose          latency            `json:"tab_close"`
		TabCloseTimeouts  uint64             `json:"tab_close_timeouts"`
		ServerCPUSeconds  float64            `json:"server_cpu_s"`
		ServerCores       float64            `json:"server_cores"`
		CPUPerPong        float64            `json:"server_cpu_us_per_pong"`
		Goroutines        int                `json:"server_goroutines"`
		FramesPerWrite    float64            `json:"server_frames_per_write"`
		ServerMemory      map[string]float64 `json:"server_memory"`
		SelfCores         float64            `json:"self_cores"`
		OthersCores       float64            `json:"others_cores"`
	} `json:"window"`
	Syscalls *struct {
		Method  string  `json:"method"`
		PerPong float64 `json:"per_pong"`
	} `json:"syscalls"`
	HTTP *struct {
		LoginsPerSec float64 `json:"logins_per_s"`
		LoginCPU     float64 `json:"server_cpu_us_per_login"`
		GetsPerSec   float64 `json:"gets_per_s"`
		GetCPU       float64 `json:"server_cpu_us_per_get"`
		GetLatency   latency `json:"get_latency"`
		LoginOthers  float64 `json:"login_others_cores"`
		GetOthers    float64 `json:"get_others_cores"`
		GetSelfCores float64 `json:"get_self_cores"`
		Errors       uint64  `json:"errors"`
	} `json:"http"`
	Scoped       *scopedLoad       `json:"scoped"`
	Failures     []string          `json:"failures"`
	RSSBaseKB    int64             `json:"server_rss_base_kb"`
	RSSSettledKB int64             `json:"server_rss_connected_kb"` // after every socket's first update
	RSSKB        int64             `json:"server_rss_kb"`
	RSSPerConnKB float64           `json:"server_rss_per_conn_kb"`
	Errors       map[string]uint64 `json:"errors"`
	ErrorTotal   uint64            `json:"error_total"`
}

// scopedLoad is the part of a rooms, watch or global run's report the
// runner reads.
type scopedLoad struct {
	Mode        string  `json:"mode"`
	RoomSize    int     `json:"room_size"`
	RoomMode    string  `json:"room_mode"`
	Rooms       int     `json:"rooms"`
	Watch       int     `json:"watch"`
	ChurnBy     string  `json:"churn_by"`
	ChurnPerSec float64 `json:"churn_per_s"`
	Setup       struct {
		Request string  `json:"request"`
		Seconds float64 `json:"seconds"`
		OK      uint64  `json:"ok"`
		Latency latency `json:"ack_latency"`
	} `json:"setup"`
	Window      *scopedWindow     `json:"window"`
	AckFailures map[string]uint64 `json:"ack_failures"`
}

type kindTraffic struct {
	BytesPerSocketSec  float64 `json:"bytes_per_socket_s"`
	FramesPerSocketSec float64 `json:"frames_per_socket_s"`
}

type latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// runResult is one run of one scenario on one server.
type runResult struct {
	Scenario string          `json:"scenario"`
	Kind     string          `json:"kind"`
	Run      int             `json:"run"`
	Started  time.Time       `json:"started"`
	Seconds  float64         `json:"seconds"`
	Others   float64         `json:"others_cores"` // noise during the measured part
	QuietWas float64         `json:"quiet_before_cores"`
	Accepted bool            `json:"accepted"`
	Reason   string          `json:"reason,omitempty"` // why rejected or failed
	Failed   bool            `json:"failed,omitempty"`
	Report   *loadReport     `json:"-"`
	Raw      json.RawMessage `json:"report,omitempty"`
	Server   []string        `json:"server_command"`
	Load     []string        `json:"load_command"`
}

// figure is one number read from a run; ok=false when the run lacks it.
type figure func(*loadReport) (float64, bool)

var figures = map[string]figure{
	"pongs_per_s": func(r *loadReport) (float64, bool) {
		if r.Window == nil {
			return 0, false
		}
		if r.Window.ServerPongsPerSec > 0 {
			return r.Window.ServerPongsPerSec, true
		}
		return r.Window.PongsPerSec, true
	},
	"cpu_us_per_pong": func(r *loadReport) (float64, bool) {
		if r.Window == nil || r.Window.CPUPerPong == 0 {
			return 0, false
		}
		return r.Window.CPUPerPong, true
	},
	"fanout_p50":   windowLatency(func(w latency) float64 { return w.P50 }, false),
	"fanout_p99":   windowLatency(func(w latency) float64 { return w.P99 }, false),
	"tabclose_p50": windowLatency(func(w latency) float64 { return w.P50 }, true),
	"tabclose_p99": windowLatency(func(w latency) float64 { return w.P99 }, true),
	"rss_per_conn_kb": func(r *loadReport) (float64, bool) {
		return r.RSSPerConnKB, r.RSSPerConnKB > 0
	},
	"rss_mb": func(r *loadReport) (float64, bool) { return float64(r.RSSKB) / 1024, r.RSSKB > 0 },
	// rss_kb: VmRSS at the window's end; rss_settled_kb: right after every
	// socket had its first update (all bound and settled, before the warm-up).
	"rss_kb":         func(r *loadReport) (float64, bool) { return float64(r.RSSKB), r.RSSKB > 0 },
	"rss_settled_kb": func(r *loadReport) (float64, bool) { return float64(r.RSSSettledKB), r.RSSSettledKB > 0 },
	// idle_cpu_us: the server's CPU over the window (utime+stime) ÷ bound
	// sockets ÷ seconds, in µs per socket per second.
	"idle_cpu_us": func(r *loadReport) (float64, bool) {
		if r.Window == nil || r.Window.Seconds <= 0 || r.Connect.Connected <= 0 || r.Window.ServerCPUSeconds <= 0 {
			return 0, false
		}
		return idleCPU(r), true
	},
	"connect_per_s": func(r *loadReport) (float64, bool) {
		return r.Connect.PerSecond, r.Connect.PerSecond > 0
	},
	"settle_s": func(r *loadReport) (float64, bool) { return r.SettleSeconds, r.Settled && r.SettleSeconds > 0 },
	"syscalls_per_pong": func(r *loadReport) (float64, bool) {
		if r.Syscalls == nil {
			return 0, false
		}
		return r.Syscalls.PerPong, r.Syscalls.PerPong > 0
	},
	"logins_per_s": func(r *loadReport) (float64, bool) {
		if r.HTTP == nil {
			return 0, false
		}
		return r.HTTP.LoginsPerSec, true
	},
	"gets_per_s": func(r *loadReport) (float64, bool) {
		if r.HTTP == nil {
			return 0, false
		}
		return r.HTTP.GetsPerSec, true
	},
	"get_cpu_us": func(r *loadReport) (float64, bool) {
		if r.HTTP == nil {
			return 0, false
		}
		return r.HTTP.GetCPU, r.HTTP.GetCPU > 0
	},
	"errors": func(r *loadReport) (float64, bool) { return float64(r.ErrorTotal), true },
	"closed": func(r *loadReport) (float64, bool) {
		if r.Window == nil {
			return float64(r.Errors["closed_by_server"]), true
		}
		return float64(r.Window.Closed), true
	},
	"answers_limited_pct": func(r *loadReport) (float64, bool) {
		if r.Window == nil || r.Window.AnswersAcked+r.Window.AnswersLimited == 0 {
			return 0, false
		}
		return 100 * float64(r.Window.AnswersLimited) / float64(r.Window.AnswersAcked+r.Window.AnswersLimited), true
	},
	"connected": func(r *loadReport) (float64, bool) { return float64(r.Connect.Connected), true },

	// scoped runs (rooms, watch, global)
	"bytes_per_socket_s":  scopedFigure(func(w scopedWindow) (float64, bool) { return w.BytesPerSocketSec, w.Changes > 0 }),
	"frames_per_socket_s": scopedFigure(func(w scopedWindow) (float64, bool) { return w.FramesPerSocketSec, w.Changes > 0 }),
	"cpu_us_per_change":   scopedFigure(func(w scopedWindow) (float64, bool) { return w.CPUPerChange, w.CPUPerChange > 0 }),
	"cpu_us_per_change_net": scopedFigure(func(w scopedWindow) (float64, bool) {
		return w.NetCPUPerChange, w.CPUPerChange > 0 && w.NetCPUPerChange > 0
	}),
	"join_notify_p99": scopedFigure(func(w scopedWindow) (float64, bool) { return w.JoinNotify.P99, w.JoinNotify.Count > 0 }),
	"join_ack_p99": scopedFigure(func(w scopedWindow) (float64, bool) {
		a, ok := w.Acks["join"]
		return a.Latency.P99, ok && a.Latency.Count > 0
	}),
	"count_rate_max": scopedFigure(func(w scopedWindow) (float64, bool) {
		if w.Count == nil || w.Count.Frames == 0 {
			return 0, false
		}
		return w.Count.MaxRatePerMember, true
	}),
}

// idleCPU is a run's server CPU per bound socket per second over its
// window, in µs.
func idleCPU(r *loadReport) float64 {
	return r.Window.ServerCPUSeconds * 1e6 / float64(r.Connect.Connected) / r.Window.Seconds
}

// scopedWindow is a scoped run's window, as the runner reads it.
type scopedWindow struct {
	Seconds       float64 `json:"seconds"`
	Changes       uint64  `json:"changes"`
	ChangesPerSec float64 `json:"changes_per_s"`
	Traffic       struct {
		ByKind map[string]kindTraffic `json:"by_kind"`
	} `json:"traffic"`
	BytesPerSocketSec  float64 `json:"bytes_per_socket_s"`
	FramesPerSocketSec float64 `json:"frames_per_socket_s"`
	ServerCores        float64 `json:"server_cores"`
	CPUSource          string  `json:"cpu_source"`
	CPUPerChange       float64 `json:"server_cpu_us_per_change"`
	NetCPUPerChange    float64 `json:"server_cpu_us_per_change_net"`
	JoinNotify         latency `json:"join_notify"`
	LeaveNotify        latency `json:"leave_notify"`
	JoinCoverage       float64 `json:"join_coverage"`
	Acks               map[string]struct {
		OK      uint64  `json:"ok"`
		Failed  uint64  `json:"failed"`
		Latency latency `json:"latency"`
	} `json:"acks"`
	Count *struct {
		Frames             uint64  `json:"frames"`
		FramesPerMemberSec float64 `json:"frames_per_member_s"`
		MaxRatePerMember   float64 `json:"max_rate_per_member_per_s"`
		MinGapMS           float64 `json:"min_gap_ms"`
	} `json:"count"`
	SelfCores   float64 `json:"self_cores"`
	OthersCores float64 `json:"others_cores"`
}

func scopedFigure(pick func(scopedWindow) (float64, bool)) figure {
	return func(r *loadReport) (float64, bool) {
		if r.Scoped == nil || r.Scoped.Window == nil {
			return 0, false
		}
		return pick(*r.Scoped.Window)
	}
}

func windowLatency(pick func(latency) float64, tab bool) figure {
	return func(r *loadReport) (float64, bool) {
		if r.Window == nil {
			return 0, false
		}
		l := r.Window.Fanout
		if tab {
			l = r.Window.TabClose
		}
		return pick(l), l.Count > 0
	}
}

// medianOf is the median of a figure over a scenario's accepted runs of one
// kind (all runs when none was accepted; noisy then reports that).
func medianOf(runs []runResult, scenarioKey, kind, fig string) (v float64, n int, noisy bool) {
	var acc, all []float64
	for _, r := range runs {
		if r.Scenario != scenarioKey || r.Kind != kind || r.Failed || r.Report == nil {
			continue
		}
		x, ok := figures[fig](r.Report)
		if !ok {
			continue
		}
		all = append(all, x)
		if r.Accepted {
			acc = append(acc, x)
		}
	}
	if len(acc) > 0 {
		return median(acc), len(acc), false
	}
	return median(all), len(all), len(all) > 0
}
