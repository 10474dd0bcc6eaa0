package codec

import (
	"encoding/json"
	"testing"
)

// The client's side of the codec (what the load generator sends and reads):
// what the client encodes, the server's decoders must read back, and the
// other way round.
func TestClientRoundTrip(t *testing.T) {
	connect := AppendConnect(nil, json.RawMessage(`{"token":"t.k.n"}`))
	if string(connect) != `40{"token":"t.k.n"}` {
		t.Fatalf("AppendConnect = %q", connect)
	}
	if got := AppendConnect(nil, nil); string(got) != "40" {
		t.Fatalf("AppendConnect(nil) = %q", got)
	}
	ev := AppendEvent(nil, "ng-action", json.RawMessage(`{"action":"pong","seq":3}`))
	if string(ev) != `42["ng-action",{"action":"pong","seq":3}]` {
		t.Fatalf("AppendEvent = %q", ev)
	}
	if AppendEvent(nil, "disconnect") != nil {
		t.Fatal("AppendEvent accepted a reserved name")
	}
	typ, data, err := DecodeEngineText(ev)
	if err != nil || typ != EngineMessage {
		t.Fatalf("DecodeEngineText = %q, %q, %v", typ, data, err)
	}
	var scratch [4]json.RawMessage
	p, err := DecodeSocketPacket(data, scratch[:0])
	if err != nil || p.Type != SocketEvent || p.ID != -1 || len(p.Elems) != 2 || string(p.Elems[0]) != `"ng-action"` {
		t.Fatalf("DecodeSocketPacket = %+v, %v", p, err)
	}
	if got := AppendJSONString(nil, "a\"b"); string(got) != `"a\"b"` {
		t.Fatalf("AppendJSONString = %s", got)
	}
}

func TestClientDecodesServerFrames(t *testing.T) {
	tests := []struct {
		in      string
		typ     byte
		sioType byte
		elems   int
		wantErr bool
	}{
		{in: "2", typ: EnginePing},
		{in: `0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, typ: EngineOpen},
		{in: `40{"sid":"abc"}`, typ: EngineMessage, sioType: SocketConnect},
		{in: `44{"message":"invalid token"}`, typ: EngineMessage, sioType: SocketConnectError},
		{in: `42["server-action:ping",{"message":"ping","seq":1,"ts":1}]`, typ: EngineMessage, sioType: SocketEvent, elems: 2},
		{in: `42["server-action:ping",{"message":`, typ: EngineMessage, wantErr: true},
		{in: "9", wantErr: true},
	}
	for _, tt := range tests {
		typ, data, err := DecodeEngineText([]byte(tt.in))
		if err == nil && typ == EngineMessage {
			var p SocketPacket
			p, err = DecodeSocketPacket(data, nil)
			if err == nil && (p.Type != tt.sioType || len(p.Elems) != tt.elems) {
				t.Errorf("%q: socket packet %+v", tt.in, p)
			}
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && typ != tt.typ {
			t.Errorf("%q: type %q, want %q", tt.in, typ, tt.typ)
		}
	}
}
