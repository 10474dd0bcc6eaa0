package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		ok     bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 401 x\r\ncontent-length: 0\r\n\r\n", 200, true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n", 200, true},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", 0, false},
		{"garbage", "SSH-2.0\r\n\r\n", 0, false},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.in))
			status, err := readResponse(br)
			if (err == nil) != tt.ok || status != tt.status {
				t.Fatalf("status %d err %v", status, err)
			}
			if tt.name == "length" { // keep-alive: the next response follows
				if s, err := readResponse(br); err != nil || s != 401 {
					t.Fatalf("second response %d %v", s, err)
				}
			}
		})
	}
}

func TestRawGetter(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	defer srv.Close()
	g, err := dialGetter(context.Background(), newDialer(""), strings.TrimPrefix(srv.URL, "http://"), "/api/me/", "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	for range 3 {
		if s, err := g.get(); err != nil || s != 200 {
			t.Fatalf("get: %d %v", s, err)
		}
	}
	if len(auth) != 3 || auth[0] != "Token tok" {
		t.Fatalf("server saw %v", auth)
	}
}
