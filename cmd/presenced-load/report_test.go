package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestReportTextAndJSON(t *testing.T) {
	rep := &report{Mode: modeSockets, URL: "http://127.0.0.1:1", N: 10, Users: 2, Probes: 1,
		Connect: connectReport{Seconds: 1, Connected: 11, PerSecond: 10},
		Settled: true, SettleSeconds: 1.5,
		Window: &windowReport{Seconds: 3, PingsPerSec: 100, PongsPerSec: 100, ServerPongsPerSec: 99,
			Fanout: latencySummary{Count: 300, P50: 1, P90: 2, P99: 3, Max: 4}, TabClose: latencySummary{Count: 1, P99: 50},
			ServerCores: 0.5, ServerCPUMicrosPerPong: 42, AnswersAcked: 5},
		Syscalls:   &syscallReport{Method: "perf", PerPong: 1.5},
		Errors:     map[string]uint64{"rate_limited": 2, "connect": 0},
		ErrorTotal: 2,
	}
	var text bytes.Buffer
	rep.writeText(&text)
	for _, want := range []string{"11 in 1.00s", "fan-out      p50 1.0ms p90 2.0ms p99 3.0ms max 4.0ms", "42.00 µs CPU per pong",
		"tab close", "1.50 per pong (perf", "answers      5 acked ok", "errors       rate_limited=2"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := rep.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	w := back["window"].(map[string]any)
	if w["server_cpu_us_per_pong"].(float64) != 42 || w["fanout"].(map[string]any)["p99_ms"].(float64) != 3 {
		t.Fatalf("JSON report: %s", js.String())
	}
}
