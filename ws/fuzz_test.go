package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"testing"
	"time"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (committed); run e.g.
//   go test -run '^$' -fuzz FuzzDecodeSocketPacket -fuzztime 60s ./ws/

// FuzzDecodeEnginePayload: a polling body never panics the decoder, and
// every payload it accepts re-encodes to one that decodes to the same
// packets.
func FuzzDecodeEnginePayload(f *testing.F) {
	for _, s := range []string{"40", "40{\"token\":\"x\"}\x1e42[\"a\"]", "3\x1e3", "1", "bAQID", "6\x1e1", "5", "2probe", "", "\x1e", "b=", "9"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var pkts []enginePacket
		err := decodeEnginePayload(body, func(p enginePacket) error {
			pkts = append(pkts, enginePacket{Type: p.Type, Data: bytes.Clone(p.Data), Binary: p.Binary})
			return nil
		})
		if err != nil {
			return
		}
		var enc []byte
		for i, p := range pkts {
			if i > 0 {
				enc = append(enc, recordSeparator)
			}
			enc = appendEnginePacket(enc, p)
		}
		var again []enginePacket
		if err := decodeEnginePayload(enc, func(p enginePacket) error {
			again = append(again, enginePacket{Type: p.Type, Data: bytes.Clone(p.Data), Binary: p.Binary})
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
// one that decodes identically, its elements are valid JSON, and copyArgs
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
		p, elems, err := decodeSocketPacket(b, nil)
		if err != nil {
			return
		}
		for _, e := range elems {
			if !json.Valid(e) {
				t.Fatalf("element %q of %q is not valid JSON", e, b)
			}
		}
		if len(elems) > 0 {
			args := copyArgs(p.Data, elems)
			for i := range elems {
				if !bytes.Equal(args[i], elems[i]) {
					t.Fatalf("copyArgs %d: %q vs %q", i, args[i], elems[i])
				}
			}
		}
		enc := appendSocketPacket(nil, p)
		q, elems2, err := decodeSocketPacket(enc, nil)
		if err != nil {
			t.Fatalf("%q → %+v → %q: %v", b, p, enc, err)
		}
		if !reflect.DeepEqual(p, q) || len(elems) != len(elems2) {
			t.Fatalf("round trip: %+v then %+v", p, q)
		}
	})
}

// FuzzEncodeEvent: whatever EncodeEvent produces, a Socket.IO decoder that
// checks what the JS one checks accepts, with the same name and data.
func FuzzEncodeEvent(f *testing.F) {
	f.Add("server-action:ping", []byte(`{"message":"hi","seq":1}`))
	f.Add("connect", []byte(`1`))
	f.Add("a\"\\\n\x00", []byte(` "x" `))
	f.Add("é", []byte("\"\xff\""))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		frame := EncodeEvent(name, data)
		if frame == nil {
			return
		}
		p, err := decodeEnginePacket(frame, false)
		if err != nil || p.Type != eioMessage {
			t.Fatalf("%q: engine %v", frame, err)
		}
		sp, elems, err := decodeSocketPacket(p.Data, nil)
		if err != nil || sp.Type != sioEvent || len(elems) != 2 {
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

// FuzzWSReader: any byte stream from a client ends in a message or an error,
// never a panic, a message over the limit or a hang; what it accepts as one
// masked text frame comes back unmasked.
func FuzzWSReader(f *testing.F) {
	f.Add(clientFrame(finText, []byte(`42["ng-action",{"action":"pong"}]`), false))
	f.Add(append(clientFrame(fragText, []byte("42"), false), clientFrame(finCont, []byte(`["x"]`), false)...))
	f.Add(append(clientFrame(finPing, []byte("p"), false), clientFrame(finBin, []byte{1, 2}, false)...))
	f.Add(clientFrame(finClose, []byte{3, 0xe8}, false))
	f.Add(clientFrame(finText, bytes.Repeat([]byte("x"), 300), false))
	f.Add(clientFrame(finText, []byte("unmasked"), true))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4})
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, in []byte) {
		srvEnd, cliEnd := net.Pipe()
		defer srvEnd.Close()
		go func() { _, _ = io.Copy(io.Discard, cliEnd) }() // control-frame answers
		go func() { _, _ = cliEnd.Write(in); _ = cliEnd.Close() }()
		w := &wsTransport{raw: srvEnd}
		r := newWSReader(srvEnd, nil, limit, w)
		_ = srvEnd.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := 0; ; i++ {
			_, bp, err := r.next()
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal("reader hung on a finished stream")
				}
				break
			}
			if len(*bp) > limit {
				t.Fatalf("message of %d bytes over the %d limit", len(*bp), limit)
			}
			putReadBuf(bp)
			if i > len(in) {
				t.Fatal("more messages than input bytes")
			}
		}
		r.release()
	})
}
