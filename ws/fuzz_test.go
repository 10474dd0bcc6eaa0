package ws

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (committed); run e.g.
//   go test -run '^$' -fuzz FuzzWSReader -fuzztime 60s ./ws/
// (the codec's fuzzers are in ws/codec)

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
		w := &wsTransport{raw: srvEnd, ctlTimeout: DefaultControlTimeout}
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
