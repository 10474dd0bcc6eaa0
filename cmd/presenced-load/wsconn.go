package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// wsConn is a lean websocket client: one bufio reader owned by the reading
// goroutine, and masked frames written with one write call each under a
// mutex. A general library costs more per message (an allocation per
// reader, a copy per write); a load generator that must outrun the server
// on one core cannot spare it. It reads what servers send (unmasked,
// possibly fragmented text/binary, ping, close) and writes text frames.
type wsConn struct {
	c  net.Conn
	br *bufio.Reader

	rbuf []byte // the current message; reader-owned

	wmu  sync.Mutex
	wbuf []byte // guarded by wmu
	mask uint64 // xorshift state for mask keys; guarded by wmu
}

const (
	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xa

	maxMessage = 64 << 20
)

var (
	errBadHandshake = errors.New("websocket handshake refused")
	errFrame        = errors.New("malformed websocket frame")
	errClosed       = errors.New("websocket closed by the server")
)

// ipBindAddressNoPort (IP_BIND_ADDRESS_NO_PORT, Linux ≥ 4.2) defers choosing
// the local port of a socket bound to a source address until connect, so
// ports are unique per destination rather than per source address: ports
// held in TIME_WAIT by a previous run against another server port do not
// block this one.
const ipBindAddressNoPort = 24

// newDialer dials from src (empty: the kernel's choice).
func newDialer(src string) *net.Dialer {
	d := &net.Dialer{Timeout: 30 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// dialWS opens a websocket to hostport at path (path includes the query).
func dialWS(ctx context.Context, d *net.Dialer, hostport, path string) (*wsConn, error) {
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + hostport +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + k +
		"\r\nSec-WebSocket-Version: 13\r\nUser-Agent: presenced-load\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	sum := sha1.Sum([]byte(k + wsGUID))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-Websocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, fmt.Errorf("%w: %s", errBadHandshake, resp.Status)
	}
	_ = c.SetDeadline(time.Time{})
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	return &wsConn{c: c, br: br, mask: binary.LittleEndian.Uint64(seed[:]) | 1}, nil
}

// readMessage returns the next text or binary message; the payload is valid
// until the next call. It answers pings and close frames itself.
func (w *wsConn) readMessage() (op byte, payload []byte, err error) {
	w.rbuf = w.rbuf[:0]
	msgOp := byte(0)
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return 0, nil, err
		}
		fin, fop, masked := h[0]&0x80 != 0, h[0]&0x0f, h[1]&0x80 != 0
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(e[:])
		}
		if n > maxMessage || uint64(len(w.rbuf))+n > maxMessage {
			return 0, nil, errFrame
		}
		var key [4]byte
		if masked {
			if _, err := io.ReadFull(w.br, key[:]); err != nil {
				return 0, nil, err
			}
		}
		if fop >= opClose { // control frame: never fragmented, ≤ 125 bytes
			if n > 125 || !fin {
				return 0, nil, errFrame
			}
			var ctl [125]byte
			if _, err := io.ReadFull(w.br, ctl[:n]); err != nil {
				return 0, nil, err
			}
			switch fop {
			case opPing:
				if err := w.write(opPong, ctl[:n]); err != nil {
					return 0, nil, err
				}
			case opClose:
				_ = w.write(opClose, ctl[:min(n, 2)])
				return 0, nil, errClosed
			}
			continue
		}
		start := len(w.rbuf)
		if uint64(cap(w.rbuf)-start) < n {
			grown := make([]byte, start, start+int(n))
			copy(grown, w.rbuf)
			w.rbuf = grown
		}
		w.rbuf = w.rbuf[:start+int(n)]
		if _, err := io.ReadFull(w.br, w.rbuf[start:]); err != nil {
			return 0, nil, err
		}
		if masked {
			maskBytes(w.rbuf[start:], key)
		}
		switch {
		case fop == opCont && msgOp == 0, fop != opCont && msgOp != 0:
			return 0, nil, errFrame
		case fop != opCont:
			msgOp = fop
		}
		if fin {
			return msgOp, w.rbuf, nil
		}
	}
}

// writeText writes one text message.
func (w *wsConn) writeText(p []byte) error { return w.write(opText, p) }

// writeText3 writes one text message made of three parts (a head, a body
// built once per connection and a per-message tail), masking as it copies.
func (w *wsConn) writeText3(a, b, c []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	buf, key := w.header(opText, len(a)+len(b)+len(c))
	off := len(buf)
	buf = append(buf, a...)
	buf = append(buf, b...)
	buf = append(buf, c...)
	maskBytes(buf[off:], key)
	w.wbuf = buf
	_, err := w.c.Write(buf)
	return err
}

func (w *wsConn) write(op byte, p []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	buf, key := w.header(op, len(p))
	off := len(buf)
	buf = append(buf, p...)
	maskBytes(buf[off:], key)
	w.wbuf = buf
	_, err := w.c.Write(buf)
	return err
}

// header starts a frame in wbuf (called with wmu held).
func (w *wsConn) header(op byte, n int) ([]byte, [4]byte) {
	buf := append(w.wbuf[:0], 0x80|op)
	switch {
	case n <= 125:
		buf = append(buf, 0x80|byte(n))
	case n <= 0xffff:
		buf = binary.BigEndian.AppendUint16(append(buf, 0x80|126), uint16(n))
	default:
		buf = binary.BigEndian.AppendUint64(append(buf, 0x80|127), uint64(n))
	}
	w.mask ^= w.mask << 13
	w.mask ^= w.mask >> 7
	w.mask ^= w.mask << 17
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(w.mask))
	return append(buf, key[:]...), key
}

// maskBytes applies the websocket mask (its own inverse), 8 bytes at a time.
func maskBytes(b []byte, key [4]byte) {
	k32 := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k32) | uint64(k32)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}

// closeGracefully sends a close frame (1000) and closes the socket, as a
// browser closing a tab does.
func (w *wsConn) closeGracefully() {
	_ = w.c.SetWriteDeadline(time.Now().Add(time.Second))
	_ = w.write(opClose, []byte{0x03, 0xe8})
	_ = w.c.Close()
}

func (w *wsConn) close() { _ = w.c.Close() }
