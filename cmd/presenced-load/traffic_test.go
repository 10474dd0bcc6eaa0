package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/presenced/presenced/ws/codec"
)

func TestAckIDs(t *testing.T) {
	for k := range numAckKinds {
		for _, seq := range []int64{0, 1, 7, 1 << 40} {
			id := ackID(seq, k)
			if id < 0 || ackKindOf(id) != k || id>>ackKindBits != seq {
				t.Errorf("ackID(%d, %s) = %d → kind %s", seq, k, id, ackKindOf(id))
			}
		}
	}
	if ackKindOf(-1) < numAckKinds || ackKindOf(7) < numAckKinds {
		t.Error("ids this tool did not make must not read as a known kind")
	}
	if numAckKinds > 1<<ackKindBits {
		t.Error("too many ack kinds for the id's bits")
	}
}

// Every message a socket receives is classified; the table feeds Socket.IO
// packets (the data of an Engine.IO message) to a connection.
func TestFrameKinds(t *testing.T) {
	// a large update: read without the decoder
	big := `2["server-action:update_user_online",{"version":1,"count":2,"joined":[],"left":[],"users":[{"id":1,"username":"` +
		strings.Repeat("x", largeFrame) + `"}]}]`
	tests := []struct {
		name string
		data string
		want frameKind
	}{
		{"connect", `0{"sid":"abc"}`, fkConnect},
		{"connect error", `4{"message":"invalid token"}`, fkConnect},
		{"disconnect", `1`, fkConnect},
		{"ping", `2["server-action:ping",{"message":"ping","seq":3,"ts":1}]`, fkPing},
		{"update diff", `2["server-action:update_user_online",{"version":2,"count":1,"joined":[],"left":[4]}]`, fkGlobal},
		{"update full", `2["server-action:update_user_online",{"version":2,"count":1,"joined":[],"left":[],"users":[{"id":1}]}]`, fkGlobalFull},
		{"update full, large", big, fkGlobalFull},
		{"room update", `2["presence:update",{"room":"r","mode":"list","version":1,"count":1,"joined":[],"left":[],"changed":[]}]`, fkRoom},
		{"room update with an offset", `2["presence:update",{"room":"r","mode":"count","version":1,"count":1},"123-4"]`, fkRoom},
		{"watch update", `2["presence:watch_update",{"users":[{"id":1,"online":true}]}]`, fkWatch},
		{"error", `2["server-action:error",{"code":"bad_request","message":"unknown event"}]`, fkError},
		{"other event", `2["server-action:stats",{}]`, fkOther},
		{"ack join", "3" + id(ackID(5, akJoin)) + `[{"ok":true}]`, fkAckJoin},
		{"ack leave", "3" + id(ackID(5, akLeave)) + `[{"ok":true}]`, fkAckLeave},
		{"ack watch", "3" + id(ackID(5, akWatch)) + `[{"ok":true,"users":[]}]`, fkAckWatch},
		{"ack login", "3" + id(ackID(5, akLogin)) + `[{"ok":true}]`, fkAckAction},
		{"ack pong", "3" + id(ackID(5, akPong)) + `[{"ok":true}]`, fkAckAction},
		{"ack of no request of ours", `37[{"ok":true}]`, fkOther},
		{"malformed", `2["presence:update",{`, fkOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner{cfg: &config{}}
			c := &sioConn{r: r, user: &seedUser{ID: 1}, ready: make(chan error, 1)}
			c.fullNext.Store(true)
			if got := c.onSocketPacket([]byte(tt.data), nil, nil); got != tt.want {
				t.Errorf("kind %s, want %s", got, tt.want)
			}
		})
	}
	if got := frameKindOfSocket(codec.SocketEvent); got != fkOther {
		t.Errorf("an EVENT without its name: %s", got)
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestTrafficBetween(t *testing.T) {
	var tr traffic
	a := tr.snap()
	tr.add(fkRoom, 100)
	tr.add(fkRoom, 50)
	tr.add(fkAckJoin, 30)
	tr.add(fkPing, 60)
	tr.add(fkEnginePing, 1)
	tr.add(numFrameKinds+3, 9) // out of range: other
	rep := trafficBetween(a, tr.snap(), 10, 2)
	tests := []struct {
		name           string
		got            kindTraffic
		frames, bytes  uint64
		bytesPerSocket float64
	}{
		{"presence:update", rep.ByKind["presence:update"], 2, 150, 7.5},
		{"ack:presence:join", rep.ByKind["ack:presence:join"], 1, 30, 1.5},
		{"other", rep.ByKind["other"], 1, 9, 0.45},
		{"presence total (no pings)", rep.Presence, 4, 189, 9.45},
		{"all", rep.All, 6, 250, 12.5},
	}
	for _, tt := range tests {
		if tt.got.Frames != tt.frames || tt.got.Bytes != tt.bytes || tt.got.BytesPerSocketSec != tt.bytesPerSocket {
			t.Errorf("%s: %+v", tt.name, tt.got)
		}
	}
	if _, ok := rep.ByKind["connect"]; ok {
		t.Error("a kind with no frames is listed")
	}
}
