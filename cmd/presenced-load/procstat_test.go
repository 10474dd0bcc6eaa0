package main

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	line := []byte("1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 900 0 0 0 250 130 0 0 20 0 9 0 100 123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n")
	got, err := parseProcStatCPU(line)
	if err != nil || got != 3800*time.Millisecond {
		t.Fatalf("got %v, %v; want 3.8s", got, err)
	}
	if _, err := parseProcStatCPU([]byte("garbage")); err == nil {
		t.Fatal("no error on garbage")
	}
}

func TestParseMachineBusy(t *testing.T) {
	stat := []byte("cpu  100 5 50 1000 20 1 4 3 0 0\ncpu0 50 2 25 500 10 0 2 0 0 0\n")
	got, err := parseMachineBusy(stat)
	if err != nil || got != 1580*time.Millisecond { // user 100 + nice 5 + system 50 + steal 3 ticks
		t.Fatalf("got %v, %v; want 1.6s", got, err)
	}
}

func TestStatusField(t *testing.T) {
	st := []byte("Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t  4321 kB\n")
	if v, err := statusField(st, "VmRSS:"); err != nil || v != 4321 {
		t.Fatalf("VmRSS = %d, %v", v, err)
	}
}

func TestKernelThreadsCPU(t *testing.T) {
	if kernelThreadsCPU() < 0 {
		t.Fatal("negative")
	}
}

func TestSampleSelf(t *testing.T) {
	a := sampleCPU(os.Getpid())
	if a.rssKB <= 0 || a.machine <= 0 {
		t.Fatalf("sample of self: %+v", a)
	}
	for t0 := time.Now(); time.Since(t0) < 30*time.Millisecond; {
	}
	b := sampleCPU(os.Getpid())
	if o := othersCores(a, b); o < 0 || o > 2 {
		t.Fatalf("othersCores = %v", o)
	}
}

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"98166 71596 2\n", 98166 * time.Nanosecond, false},
		{"12345678901 0 40", 12345678901 * time.Nanosecond, false},
		{"1 2", 0, true},
		{"x 2 3", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSchedstat([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSchedstat(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestServerCPUBetween(t *testing.T) {
	tests := []struct {
		name     string
		a, b     cpuSample
		want     time.Duration
		wantFrom string
	}{
		{"schedstat", cpuSample{server: 10 * time.Millisecond, run: 11_000_000, hasRun: true},
			cpuSample{server: 30 * time.Millisecond, run: 28_500_000, hasRun: true}, 17500 * time.Microsecond, "schedstat"},
		{"one sample without schedstat", cpuSample{server: 10 * time.Millisecond},
			cpuSample{server: 30 * time.Millisecond, run: 28_500_000, hasRun: true}, 20 * time.Millisecond, "stat"},
	}
	for _, tt := range tests {
		if got, from := serverCPUBetween(tt.a, tt.b); got != tt.want || from != tt.wantFrom {
			t.Errorf("%s: %v from %s", tt.name, got, from)
		}
	}
	if d, ok := procRunTime(os.Getpid()); ok && d <= 0 {
		t.Errorf("procRunTime(self) = %v", d)
	}
}
