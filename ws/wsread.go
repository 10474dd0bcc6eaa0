package ws

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// wsReader reads the client's websocket frames (RFC 6455) straight from the
// TCP connection once contrib/websocket has done the upgrade: fasthttp's
// request context, its 4 KiB reader and the library's connection are given
// back as soon as the handshake is answered, and an idle connection holds no
// read buffer at all — a pooled one is taken only when the socket is
// readable and given back as soon as everything read has been consumed.
//
// It handles what a server must: masked client frames only, no extensions
// (none is negotiated), fragmented messages with control frames between
// fragments, ping answered with pong, close answered with close, the read
// limit. It is used by one goroutine at a time (the session's reader).
type wsReader struct {
	raw   net.Conn
	rc    syscall.RawConn // nil: plain blocking reads into a held buffer
	limit int             // largest message, in bytes
	w     *wsTransport    // for control-frame answers

	buf    *[]byte // pooled, len == cap; nil while nothing is buffered
	lo, hi int     // unread bytes: (*buf)[lo:hi]

	// The read(2) of rc.Read's callback, kept here so that it allocates nothing.
	dst    []byte // read into this instead of the buffer (large payloads)
	rn     int
	rerr   error
	readFn func(fd uintptr) bool
	pollFn func(fd uintptr) bool
	polled bool // pollFn's read got an answer other than EAGAIN

	// short: the last read(2) returned less than it asked for, so the socket was
	// read dry then (what the poller needs before a reader may park).
	short bool
	// perr is what a poll's read failed with, returned by the next read.
	perr error
}

const (
	wsOpBinary = 0x2
	wsOpPing   = 0x9
	wsOpPong   = 0xa

	wsFrameBuf = 4 << 10 // pooled read buffer: several small frames per read(2)
)

var frameBufPool = sync.Pool{New: func() any { b := make([]byte, wsFrameBuf); return &b }}

var (
	// errClientClose: the client sent a close frame (answered already).
	errClientClose = errors.New("websocket: close frame received")
	// errReadLimit: a message over the limit (closed with 1009).
	errReadLimit = errors.New("websocket: message over maxPayload")
)

// wsProtocolError is a frame no client may send (closed with 1002).
type wsProtocolError string

func (e wsProtocolError) Error() string { return "websocket: protocol error: " + string(e) }

func newWSReader(raw net.Conn, rc syscall.RawConn, limit int, w *wsTransport) *wsReader {
	r := &wsReader{raw: raw, rc: rc, limit: limit, w: w}
	if rc != nil {
		r.readFn = r.readCallback
		r.pollFn = r.pollCallback
	}
	return r
}

func (r *wsReader) buffered() int { return r.hi - r.lo }

func (r *wsReader) release() {
	if r.buf != nil {
		frameBufPool.Put(r.buf)
		r.buf, r.lo, r.hi = nil, 0, 0
	}
}

// readCallback runs inside rc.Read with the descriptor's read lock held:
// false means "wait until readable and call again". The buffer is taken
// only once there is something to read into it.
func (r *wsReader) readCallback(fd uintptr) bool {
	if r.dst != nil {
		return r.sysRead(fd, r.dst)
	}
	took := r.buf == nil
	if took {
		r.buf = frameBufPool.Get().(*[]byte)
		r.lo, r.hi = 0, 0
	}
	if !r.sysRead(fd, (*r.buf)[r.hi:]) {
		if took {
			r.release()
		}
		return false
	}
	return true
}

func (r *wsReader) sysRead(fd uintptr, p []byte) bool {
	for {
		n, err := syscall.Read(int(fd), p)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.rn, r.rerr = max(n, 0), err
		r.short = n >= 0 && n < len(p)
		return true
	}
}

// pollCallback is poll's read: once, never waiting.
func (r *wsReader) pollCallback(fd uintptr) bool {
	r.polled = r.sysRead(fd, (*r.buf)[r.hi:])
	return true
}

// poll reads once without waiting, into a buffer taken for it, when nothing is
// buffered: true when bytes arrived or the read failed (the error is kept for the
// next read), false when the socket had nothing (EAGAIN: it is read dry, and no
// buffer is held).
func (r *wsReader) poll() bool {
	r.buf = frameBufPool.Get().(*[]byte)
	r.lo, r.hi = 0, 0
	r.rn, r.rerr = 0, nil
	err := r.rc.Read(r.pollFn)
	switch {
	case err != nil:
		r.perr = err // deadline or closed
	case !r.polled:
		r.short = true
		r.release()
		return false
	case r.rerr != nil:
		r.perr = os.NewSyscallError("read", r.rerr)
	case r.rn == 0:
		r.perr = io.EOF
	default:
		r.hi = r.rn
		return true
	}
	r.release()
	return true
}

// read reads once into p (or, when p is nil, after the buffered bytes) and
// returns how many bytes arrived; io.EOF when the peer closed.
func (r *wsReader) read(p []byte) (int, error) {
	if err := r.perr; err != nil {
		r.perr = nil
		return 0, err
	}
	if r.rc == nil {
		if p == nil {
			if r.buf == nil {
				r.buf = frameBufPool.Get().(*[]byte)
			}
			p = (*r.buf)[r.hi:]
		}
		n, err := r.raw.Read(p)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	r.dst, r.rn, r.rerr = p, 0, nil
	err := r.rc.Read(r.readFn)
	r.dst = nil
	switch {
	case err != nil:
		return 0, err // deadline or closed
	case r.rerr != nil:
		return 0, os.NewSyscallError("read", r.rerr)
	case r.rn == 0:
		return 0, io.EOF
	}
	return r.rn, nil
}

// fill reads more bytes after the buffered ones.
func (r *wsReader) fill() error {
	if r.buf != nil && r.lo == r.hi {
		r.release() // nothing unread: do not hold a buffer while waiting
	}
	if r.buf != nil && r.hi == len(*r.buf) {
		r.hi = copy(*r.buf, (*r.buf)[r.lo:r.hi])
		r.lo = 0
	}
	n, err := r.read(nil)
	if err != nil {
		if r.buf != nil && r.lo == r.hi {
			r.release()
		}
		return err
	}
	r.hi += n
	return nil
}

// ensure buffers at least n bytes (n is at most a header plus a control
// payload: far below the buffer's size).
func (r *wsReader) ensure(n int) error {
	for r.buffered() < n {
		if err := r.fill(); err != nil {
			if err == io.EOF && r.buffered() > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readInto fills dst from the buffer, then from the socket; large remainders
// are read straight into dst.
func (r *wsReader) readInto(dst []byte) error {
	for len(dst) > 0 {
		if r.buffered() > 0 {
			n := copy(dst, (*r.buf)[r.lo:r.hi])
			r.lo += n
			dst = dst[n:]
			continue
		}
		r.release()
		if len(dst) >= wsFrameBuf {
			n, err := r.read(dst)
			if err != nil {
				return unexpectedEOF(err)
			}
			dst = dst[n:]
			continue
		}
		if err := r.fill(); err != nil {
			return unexpectedEOF(err)
		}
	}
	if r.buffered() == 0 {
		r.release()
	}
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// next reads the next data message, answering control frames on the way.
// The message is in a buffer from readBufPool that the caller gives back.
func (r *wsReader) next() (bin bool, msg *[]byte, err error) {
	defer func() {
		if err != nil && msg != nil {
			putReadBuf(msg)
			msg = nil
		}
	}()
	inMessage := false
	for {
		if err := r.ensure(2); err != nil {
			return false, msg, err
		}
		h := (*r.buf)[r.lo:r.hi]
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		if h[0]&0x70 != 0 {
			return false, msg, r.protocolError("reserved bits set")
		}
		if h[1]&0x80 == 0 {
			return false, msg, r.protocolError("unmasked client frame")
		}
		hl, n := 2, int64(h[1]&0x7f)
		switch n {
		case 126:
			hl = 4
		case 127:
			hl = 10
		}
		if err := r.ensure(hl + 4); err != nil {
			return false, msg, err
		}
		h = (*r.buf)[r.lo:r.hi]
		switch hl {
		case 4:
			n = int64(binary.BigEndian.Uint16(h[2:4]))
		case 10:
			u := binary.BigEndian.Uint64(h[2:10])
			if u>>63 != 0 {
				return false, msg, r.protocolError("frame length over 2^63")
			}
			n = int64(u)
		}
		key := [4]byte(h[hl : hl+4])
		r.lo += hl + 4

		if op >= 0x8 {
			if !fin || n > 125 {
				return false, msg, r.protocolError("fragmented or long control frame")
			}
			var ctl [125]byte
			p := ctl[:n]
			if err := r.readInto(p); err != nil {
				return false, msg, err
			}
			maskBytes(p, key)
			switch op {
			case wsOpClose:
				if len(p) == 1 {
					return false, msg, r.protocolError("one-byte close payload")
				}
				code := 1005 // no status received
				if len(p) >= 2 {
					code = int(binary.BigEndian.Uint16(p))
					if !validCloseCode(code) {
						return false, msg, r.protocolError("invalid close code")
					}
				}
				_ = r.w.onCloseFrame(code, "")
				return false, msg, errClientClose
			case wsOpPing:
				r.w.writeControl(wsOpPong, p)
			case wsOpPong:
			default:
				return false, msg, r.protocolError("unknown control opcode")
			}
			continue
		}
		switch op {
		case 0:
			if !inMessage {
				return false, msg, r.protocolError("continuation without a message")
			}
		case wsOpText, wsOpBinary:
			if inMessage {
				return false, msg, r.protocolError("new message inside a fragmented one")
			}
			inMessage, bin = true, op == wsOpBinary
		default:
			return false, msg, r.protocolError("unknown data opcode")
		}
		if msg == nil {
			msg = readBufPool.Get().(*[]byte)
			*msg = (*msg)[:0]
		}
		if int64(len(*msg))+n > int64(r.limit) {
			r.w.sendClose(1009)
			return false, msg, errReadLimit
		}
		start := len(*msg)
		*msg = growLen(*msg, int(n))
		p := (*msg)[start:]
		if err := r.readInto(p); err != nil {
			return false, msg, err
		}
		maskBytes(p, key)
		if fin {
			return bin, msg, nil
		}
	}
}

// validCloseCode: the codes a client may send in a close frame (RFC 6455
// 7.4: the registered ones meant for the wire, and 3000–4999).
func validCloseCode(c int) bool {
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
}

func (r *wsReader) protocolError(what string) error {
	r.w.sendClose(1002)
	return wsProtocolError(what)
}

// growLen extends b by n bytes (contents unspecified).
func growLen(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n+len(b)/2)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// maskBytes unmasks p in place with a frame's 4-byte key.
func maskBytes(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}

func putReadBuf(bp *[]byte) {
	if cap(*bp) <= readPooledMax {
		*bp = (*bp)[:0]
		readBufPool.Put(bp)
	}
}
