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
