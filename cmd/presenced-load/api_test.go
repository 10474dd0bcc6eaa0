package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP presenced_pongs_total Pongs.
# TYPE presenced_pongs_total counter
presenced_pongs_total 12345
presenced_socketio_frames_total{direction="in"} 10
presenced_socketio_frames_total{direction="out"} 20
presenced_connections{state="anonymous"} 1
presenced_connections{state="bound"} 4
go_goroutines 42
presenced_pongs_total_other 9
`
	got := parseMetrics(strings.NewReader(text), []string{
		"presenced_pongs_total", `presenced_socketio_frames_total{direction="out"}`, "presenced_connections", "go_goroutines", "absent",
	})
	want := map[string]float64{
		"presenced_pongs_total": 12345, `presenced_socketio_frames_total{direction="out"}`: 20,
		"presenced_connections": 5, "go_goroutines": 42,
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestSeedFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.json")
	in := &seedFile{URL: "http://127.0.0.1:1", Users: []seedUser{{ID: 1, Username: "a", Password: "p", Token: "t"}}}
	if err := writeSeed(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := readSeed(path)
	if err != nil || len(out.Users) != 1 || out.Users[0] != in.Users[0] {
		t.Fatalf("read back %+v, %v", out, err)
	}
	if err := writeSeed(path, &seedFile{}); err != nil {
		t.Fatal(err)
	}
	if _, err := readSeed(path); err == nil {
		t.Fatal("a seed without users was accepted")
	}
}
