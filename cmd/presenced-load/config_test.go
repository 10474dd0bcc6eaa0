package main

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*config) bool
	}{
		{name: "defaults", args: []string{"-tokens", "s.json"}, check: func(c *config) bool {
			return c.N == 100 && c.host == "127.0.0.1:8888" && c.MaxTime == 120*time.Second+30*time.Second+2*time.Second+10*time.Second+time.Minute
		}},
		{name: "seed defaults", args: []string{"-mode", "seed", "-tokens", "s.json"}, check: func(c *config) bool { return c.Users == 200 }},
		{name: "trailing slash", args: []string{"-tokens", "s", "-url", "http://localhost:9/"}, check: func(c *config) bool {
			return c.URL == "http://localhost:9" && c.host == "localhost:9"
		}},
		{name: "not loopback", args: []string{"-tokens", "s", "-url", "http://10.0.0.1:80"}, wantErr: "loopback"},
		{name: "not loopback source", args: []string{"-tokens", "s", "-src", "192.168.1.2"}, wantErr: "loopback"},
		{name: "https", args: []string{"-tokens", "s", "-url", "https://127.0.0.1"}, wantErr: "want http"},
		{name: "too many sockets", args: []string{"-tokens", "s", "-n", "20000"}, wantErr: "19,990"},
		{name: "n plus probes", args: []string{"-tokens", "s", "-n", "19980", "-probes", "20"}, wantErr: "-probes"},
		{name: "no tokens: registers its users, the bound allowing for it", args: nil, check: func(c *config) bool {
			return c.Tokens == "" && c.seedUsers() == 100 && c.MaxTime == 2*120*time.Second+30*time.Second+2*time.Second+10*time.Second+time.Minute
		}},
		{name: "no tokens, many sockets: at most 20 per user", args: []string{"-n", "10000"}, check: func(c *config) bool { return c.seedUsers() == 500 }},
		{name: "no tokens, few sockets", args: []string{"-n", "1000"}, check: func(c *config) bool { return c.seedUsers() == 200 }},
		{name: "no tokens, -users", args: []string{"-n", "1000", "-users", "7"}, check: func(c *config) bool { return c.seedUsers() == 7 }},
		{name: "no tokens, scoped: N users", args: []string{"-mode", "watch", "-n", "300", "-watch", "5"}, check: func(c *config) bool { return c.seedUsers() == 300 }},
		{name: "seed needs its file", args: []string{"-mode", "seed"}, wantErr: "-tokens is required in seed mode"},
		{name: "http needs no tokens", args: []string{"-mode", "http"}},
		{name: "churn and probes", args: []string{"-tokens", "s", "-churn", "5", "-probes", "3"}, wantErr: "do not mix"},
		{name: "bad mode", args: []string{"-mode", "x"}, wantErr: "-mode"},
		{name: "argument", args: []string{"-tokens", "s", "extra"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
	if _, err := parseConfig([]string{"-n", "0", "-tokens", "s"}, io.Discard); !errors.Is(err, errUsage) {
		t.Fatalf("usage errors wrap errUsage: %v", err)
	}
}

func TestSources(t *testing.T) {
	c := &config{Src: "127.0.0.2", PerSrc: 10000}
	got, err := c.sources(19000)
	if err != nil || !slices.Equal(got, []string{"127.0.0.2", "127.0.0.3"}) {
		t.Fatalf("sources = %v, %v", got, err)
	}
	got, _ = c.sources(1)
	if !slices.Equal(got, []string{"127.0.0.2"}) {
		t.Fatalf("sources(1) = %v", got)
	}
	c.Src = "127.0.0.254"
	if _, err := c.sources(19000); err == nil {
		t.Fatal("ran past 127.0.0.254")
	}
}
