package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var heapTotalRE = regexp.MustCompile(`of ([0-9.]+)(kB|MB|GB) total`)

// soak holds N = 10,000 bound sockets on presenced (or -soak-kind) with a
// sweep every second for d, sampling RSS and goroutines every 10 s, and
// writes bench/results/soak.{json,md} (BENCHMARKS.md includes the latter).
func (b *bench) soak(ctx context.Context, d time.Duration, kind string) error {
	if err := b.seed(ctx); err != nil {
		return err
	}
	sc := scenario{Key: "soak", Ping: "1s", Grace: "1ms",
		Load: []string{"-n", "10000", "-preopen", "-warmup", "5s", "-duration", d.String(), "-sample", "10s"}}
	b.logf("soak: %s, N = 10,000, ping every 1s, for %v", kind, d)
	r := b.runOnceTimeout(ctx, sc, kind, 1, d+5*time.Minute)
	if r.Report == nil {
		return fmt.Errorf("soak failed: %s", r.Reason)
	}
	var full struct {
		Samples []struct {
			T          float64 `json:"t_s"`
			RSS        int64   `json:"rss_kb"`
			Goroutines int     `json:"goroutines"`
			Pongs      float64 `json:"pongs_per_s"`
			Open       int64   `json:"open"`
		} `json:"samples"`
	}
	_ = json.Unmarshal(r.Raw, &full)
	if len(full.Samples) < 3 {
		return fmt.Errorf("soak: only %d samples", len(full.Samples))
	}
	// Growth is measured from the first sample after one minute (buffers
	// and pools have reached their working size) to the last.
	base := full.Samples[0]
	for _, s := range full.Samples {
		if s.T >= 60 {
			base = s
			break
		}
	}
	last := full.Samples[len(full.Samples)-1]
	growth := 100 * float64(last.RSS-base.RSS) / float64(base.RSS)
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	p("Run on %s (%s), %s: %d bound sockets, `-ping-interval 1s`, %v, sampled every 10 s.", time.Now().UTC().Format("2006-01-02"), kind, tidy(b, strings.Join(r.Server, " ")), r.Report.Connect.Connected, d)
	p("")
	p("| figure | value | limit | verdict |")
	p("|---|---|---|---|")
	p("| RSS at %.0f s → at %.0f s | %s MB → %s MB (%+.1f %%) | growth < 5 %% | %s |", base.T, last.T, fmtNum(float64(base.RSS)/1024), fmtNum(float64(last.RSS)/1024), growth,
		map[bool]string{true: "**met**", false: "**MISSED**"}[growth < 5])
	gv := "n/a (no goroutine gauge)"
	if base.Goroutines > 0 {
		gv = map[bool]string{true: "**met**", false: "**MISSED**"}[last.Goroutines <= base.Goroutines+10]
	}
	p("| goroutines at %.0f s → at %.0f s | %d → %d | no growth | %s |", base.T, last.T, base.Goroutines, last.Goroutines, gv)
	if wd := r.Report.Window; wd != nil {
		p("| pongs/s over the soak | %s | 10,000 | |", fmtNum(wd.ServerPongsPerSec))
		p("| fan-out p50 / p99 / max | %s / %s / %s ms | | |", fmtNum(wd.Fanout.P50), fmtNum(wd.Fanout.P99), fmtNum(wd.Fanout.Max))
		p("| server CPU | %.2f cores, %s µs per pong | | |", wd.ServerCores, fmtNum(wd.CPUPerPong))
	}
	p("| errors | %d (%v) | 0 | %s |", r.Report.ErrorTotal, nonZero(r.Report.Errors), map[bool]string{true: "**met**", false: "**MISSED**"}[r.Report.ErrorTotal == 0])
	p("")
	p("Samples (t, RSS MB, goroutines, pongs/s, open sockets): %s", sampleList(full.Samples))
	if err := os.WriteFile(filepath.Join(b.resultsDir, "soak.json"), r.Raw, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.resultsDir, "soak.md"), []byte(w.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(os.Stdout, w.String())
	return nil
}

func sampleList[S ~[]E, E any](s S) string {
	raw, _ := json.Marshal(s)
	var rows []map[string]float64
	_ = json.Unmarshal(raw, &rows)
	var parts []string
	for i, r := range rows {
		if i%6 != 0 && i != len(rows)-1 { // one a minute, and the last
			continue
		}
		parts = append(parts, fmt.Sprintf("(%.0fs, %s, %.0f, %s, %.0f)", r["t_s"], fmtNum(r["rss_kb"]/1024), r["goroutines"], fmtNum(r["pongs_per_s"]), r["open"]))
	}
	return strings.Join(parts, " ")
}

func nonZero(m map[string]uint64) string {
	var out []string
	for k, v := range m {
		if v > 0 {
			out = append(out, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

// profile runs the profiling variant of presenced (bin/presenced-pprof,
// built by bench/profile.sh with net/http/pprof added through
// `go build -overlay`, the server's packages unchanged) under the N = 10,000
// throughput scenario (CPU profile) and with 10,000 idle bound sockets (heap
// profile), and writes `go tool pprof -top` of both to bench/results.
func (b *bench) profile(ctx context.Context, binary string) error {
	if err := b.seed(ctx); err != nil {
		return err
	}
	b.presenced = binary
	const pprofAddr = "127.0.0.1:6061"
	os.Setenv("PRESENCED_PPROF_ADDR", pprofAddr)
	var md strings.Builder
	fmt.Fprintf(&md, "Profiles of `bin/presenced-pprof` (presenced plus net/http/pprof, added by `go build -overlay`), one core, `GOMAXPROCS=1`, taken %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, p := range []struct {
		key, what, url, file string
		sc                   scenario
		after                time.Duration
	}{
		{"cpu", "CPU, N = 10,000, sweep every 250 ms (offered 40,000 pongs/s, as `pongs-10k`), 10 s", "/debug/pprof/profile?seconds=10", "cpu-10k.prof",
			scenario{Key: "profile-cpu", Ping: pingFor(10000, offeredPongs), Load: []string{"-n", "10000", "-preopen", "-warmup", "1s", "-duration", "12s"}}, time.Second},
		{"storm", "CPU, connect storm: 10,000 logins (bcrypt cost 4) + binds, 100 in flight, the first 15 s", "/debug/pprof/profile?seconds=15", "cpu-storm.prof",
			scenario{Key: "profile-storm", Ping: "1s", Load: []string{"-n", "10000", "-login", "-inflight", "100", "-duration", "0", "-settle-timeout", "60s"}}, 0},
		{"heap", "heap in use, 10,000 bound sockets, sweep every 1 s", "/debug/pprof/heap?gc=1", "heap-10k.prof",
			scenario{Key: "profile-heap", Ping: "1s", Load: []string{"-n", "10000", "-preopen", "-warmup", "1s", "-duration", "6s"}}, 3 * time.Second},
	} {
		out := filepath.Join(b.resultsDir, p.file)
		got := make(chan error, 1)
		mark := filepath.Join(b.work, p.key+".mark")
		if p.after > 0 { // start when the load generator opens its window
			p.sc.Load = append(p.sc.Load, "-mark", mark)
		}
		b.onWindow = func() {
			go func() {
				for deadline := time.Now().Add(3 * time.Minute); p.after > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, err := os.Stat(mark); err == nil {
						break
					}
				}
				time.Sleep(p.after)
				got <- fetch(ctx, "http://"+pprofAddr+p.url, out)
			}()
		}
		r := b.runOnceTimeout(ctx, p.sc, kindPresenced, 1, 5*time.Minute)
		b.onWindow = nil
		if err := <-got; err != nil {
			return fmt.Errorf("%s profile: %w", p.key, err)
		}
		top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=35", binary, out).Output()
		if err != nil {
			return fmt.Errorf("pprof -top: %w", err)
		}
		fmt.Fprintf(&md, "### %s\n\nLoad: %s.\n\n", p.what, summaryOrReason(r))
		if p.key == "heap" && r.Report != nil && r.Report.Window != nil {
			mem, n := r.Report.Window.ServerMemory, float64(r.Report.Connect.Connected)
			if mem != nil && n > 0 {
				fmt.Fprintf(&md, "Go runtime at the window's end (/metrics): stacks in use %.0f MB = %.1f KB per socket; heap in use %.0f MB = %.1f KB per socket; heap obtained from the OS %.0f MB. RSS was %.1f KB per socket.\n\n",
					mem["go_memstats_stack_inuse_bytes"]/(1<<20), mem["go_memstats_stack_inuse_bytes"]/1024/n,
					mem["go_memstats_heap_inuse_bytes"]/(1<<20), mem["go_memstats_heap_inuse_bytes"]/1024/n,
					mem["go_memstats_heap_sys_bytes"]/(1<<20), r.Report.RSSPerConnKB)
			}
		}
		if p.key == "heap" {
			if m := heapTotalRE.FindStringSubmatch(string(top)); m != nil {
				v, _ := strconv.ParseFloat(m[1], 64)
				v *= map[string]float64{"kB": 1.0 / 1024, "MB": 1, "GB": 1024}[m[2]]
				fmt.Fprintf(&md, "Go heap in use: %.1f MB = %.1f KB per bound socket (the rest of RSS per connection is goroutine stacks, kernel socket buffers are not in RSS).\n\n", v, v*1024/10000)
			}
		}
		fmt.Fprintf(&md, "```\n%s```\n\n", trimTop(string(top)))
		if p.key != "heap" {
			cum, _ := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=40", binary, out).Output()
			fmt.Fprintf(&md, "Cumulative:\n\n```\n%s```\n\n", trimTop(string(cum)))
		}
	}
	if err := os.WriteFile(filepath.Join(b.resultsDir, "profile.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(md.String())
	return nil
}

func summaryOrReason(r runResult) string {
	if r.Report == nil {
		return "failed: " + r.Reason
	}
	return summary(scenario{}, r.Report)
}

// trimTop drops pprof's header lines that name local paths.
func trimTop(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func fetch(ctx context.Context, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}
