package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// machineInfo describes where and with what the bench ran.
type machineInfo struct {
	CPU       string            `json:"cpu"`
	Cores     int               `json:"cores"`
	MemoryGiB float64           `json:"memory_gib"`
	Kernel    string            `json:"kernel"`
	OpenFiles uint64            `json:"open_files"`
	Versions  map[string]string `json:"versions"`
	Commit    string            `json:"commit"`
	Perf      bool              `json:"perf"`
	Date      string            `json:"date"`
	Floor     []floorReading    `json:"loopback_floor"`
}

type floorReading struct {
	Sockets        int     `json:"sockets"`
	MicrosPerFrame float64 `json:"us_per_frame"`
}

func describeMachine(ctx context.Context, b *bench) machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), Versions: map[string]string{}, Date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(ci), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		m.MemoryGiB = float64(si.Totalram) * float64(si.Unit) / (1 << 30)
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = cstr(u.Release[:])
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		m.OpenFiles = rl.Cur
	}
	m.Versions["go"] = strings.TrimPrefix(cmdOut(ctx, "go", "env", "GOVERSION"), "go")
	m.Versions["node"] = strings.TrimPrefix(cmdOut(ctx, b.node, "--version"), "v")
	for _, pkg := range []string{"socket.io", "engine.io", "ws", "bufferutil", "@node-rs/bcrypt"} {
		var pj struct{ Version string }
		if raw, err := os.ReadFile(filepath.Join(b.peerDir, "node_modules", pkg, "package.json")); err == nil && json.Unmarshal(raw, &pj) == nil {
			m.Versions[pkg] = pj.Version
		}
	}
	m.Commit = cmdOut(ctx, "git", "-C", b.repo, "rev-parse", "--short", "HEAD")
	if st := cmdOut(ctx, "git", "-C", b.repo, "status", "--porcelain", "--untracked-files=no"); st != "" {
		m.Commit += " + uncommitted changes"
	}
	_, err := exec.LookPath("perf")
	m.Perf = err == nil
	return m
}

func cmdOut(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func cstr[T int8 | uint8](b []T) string {
	var buf bytes.Buffer
	for _, c := range b {
		if c == 0 {
			break
		}
		buf.WriteByte(byte(c))
	}
	return buf.String()
}
