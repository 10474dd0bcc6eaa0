package codec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (committed); run e.g.
//   go test -run '^$' -fuzz FuzzDecodeSocketPacket -fuzztime 60s ./ws/codec/

// FuzzDecodeEnginePayload: a polling body never panics the decoder, and
// every payload it accepts re-encodes to one that decodes to the same
// packets.
func FuzzDecodeEnginePayload(f *testing.F) {
	for _, s := range []string{"40", "40{\"token\":\"x\"}\x1e42[\"a\"]", "3\x1e3", "1", "bAQID", "6\x1e1", "5", "2probe", "", "\x1e", "b=", "9"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var pkts []EnginePacket
		err := DecodeEnginePayload(body, func(p EnginePacket) error {
			pkts = append(pkts, EnginePacket{Type: p.Type, Data: bytes.Clone(p.Data), Binary: p.Binary})
			return nil
		})
		if err != nil {
			return
		}
		var enc []byte
		for i, p := range pkts {
			if i > 0 {
				enc = append(enc, RecordSeparator)
			}
			enc = AppendEnginePacket(enc, p)
		}
		var again []EnginePacket
		if err := DecodeEnginePayload(enc, func(p EnginePacket) error {
			again = append(again, EnginePacket{Type: p.Type, Data: bytes.Clone(p.Data), Binary: p.Binary})
			return nil
		}); err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if len(again) != len(pkts) {
			t.Fatalf("%d packets, then %d", len(pkts), len(again))
		}
		for i := range pkts {
			if pkts[i].Type != again[i].Type || pkts[i].Binary != again[i].Binary || !bytes.Equal(pkts[i].Data, again[i].Data) {
				t.Fatalf("packet %d: %+v then %+v", i, pkts[i], again[i])
			}
		}
	})
}

// FuzzDecodeSocketPacket: never panics; an accepted packet re-encodes to
// one that decodes identically, its elements are valid JSON, and CopyArgs
// reproduces them.
func FuzzDecodeSocketPacket(f *testing.F) {
	for _, s := range []string{
		`0`, `0{"token":"abc"}`, `0/admin,{"token":"abc"}`, `1`, `2["hello",{"a":1}]`, `21["hello"]`,
		`2["ng-action",{"action":"pong","socket_id":"abc","token":"eyJhbGciOiJIUzI1NiJ9.e30.x","seq":7}]`,
		`31[{"ok":true}]`, `43/admin,1[]`, `4{"message":"x","data":{"a":1}}`, `451-["bin",{"_placeholder":true,"num":0}]`,
		`61-0[{"_placeholder":true,"num":0}]`, `2[12,"x"]`, `2["disconnect"]`, `2/x,`, `2["a\u0062",[1,2,{"c":null}]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeSocketPacket(b, nil)
		elems := p.Elems
		if err != nil {
			return
		}
		for _, e := range elems {
			if !json.Valid(e) {
				t.Fatalf("element %q of %q is not valid JSON", e, b)
			}
		}
		if len(elems) > 0 {
			args := CopyArgs(p.Data, elems)
			for i := range elems {
				if !bytes.Equal(args[i], elems[i]) {
					t.Fatalf("CopyArgs %d: %q vs %q", i, args[i], elems[i])
				}
			}
		}
		enc := AppendSocketPacket(nil, p)
		q, err := DecodeSocketPacket(enc, nil)
		elems2 := q.Elems
		if err != nil {
			t.Fatalf("%q → %+v → %q: %v", b, p, enc, err)
		}
		if !reflect.DeepEqual(p, q) || len(elems) != len(elems2) {
			t.Fatalf("round trip: %+v then %+v", p, q)
		}
	})
}

// FuzzEncodeEvent: whatever AppendEvent produces, a Socket.IO decoder that
// checks what the JS one checks accepts, with the same name and data.
func FuzzEncodeEvent(f *testing.F) {
	f.Add("server-action:ping", []byte(`{"message":"hi","seq":1}`))
	f.Add("connect", []byte(`1`))
	f.Add("a\"\\\n\x00", []byte(` "x" `))
	f.Add("é", []byte("\"\xff\""))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		frame := AppendEvent(nil, name, data)
		if frame == nil {
			return
		}
		typ, data2, err := DecodeEngineText(frame)
		if err != nil || typ != EngineMessage {
			t.Fatalf("%q: engine %v", frame, err)
		}
		sp, err := DecodeSocketPacket(data2, nil)
		elems := sp.Elems
		if err != nil || sp.Type != SocketEvent || len(elems) != 2 {
			t.Fatalf("%q: socket.io %+v %v", frame, sp, err)
		}
		var got string
		if err := json.Unmarshal(elems[0], &got); err != nil || got != name {
			t.Fatalf("name %q → %q (%v)", name, got, err)
		}
		want := bytes.Trim(data, " \t\r\n")
		if len(data) == 0 {
			want = []byte("null")
		}
		if !bytes.Equal(elems[1], want) {
			t.Fatalf("data %q → %q", data, elems[1])
		}
	})
}
