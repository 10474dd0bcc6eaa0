package wsframe

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Control answers the control frames a Reader meets, from the reader's goroutine. It
// must write each answer as a whole frame between the server's own frames.
type Control interface {
	// WriteControl writes one control frame (payload ≤ 125 bytes): the pong that
	// answers a ping.
	WriteControl(op byte, payload []byte)
	// SendClose sends a close frame with code (1002 protocol error, 1009 too big)
	// unless one was sent already.
	SendClose(code int)
	// CloseReceived answers the client's close frame (code 1005: it had none).
	CloseReceived(code int)
}

// Reader reads the client's websocket frames (RFC 6455) straight from the
// TCP connection once the upgrade is done (for presenced: once contrib/websocket
// answered the handshake, so that fasthttp's request context, its 4 KiB reader
// and the library's connection go back at once), and an idle connection holds no
// read buffer at all — a pooled one is taken only when the socket is
// readable and given back as soon as everything read has been consumed.
//
// It handles what a server must: masked client frames only, no extensions
// (none is negotiated), fragmented messages with control frames between
// fragments, ping answered with pong, close answered with close, the read
// limit. It is used by one goroutine at a time (the session's reader; after a
// park, the next one).
type Reader struct {
	raw   net.Conn
	rc    syscall.RawConn // nil: plain blocking reads into a held buffer
	limit int             // largest message, in bytes
	ctl   Control         // answers the control frames

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

// frameBufSize is the pooled read buffer: several small frames per read(2).
const frameBufSize = 4 << 10

// Message buffers (Next's msg) come from msgPool; those grown beyond
// msgPooledMax are left to the collector.
var msgPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<10); return &b }}

const msgPooledMax = 64 << 10

var frameBufPool = sync.Pool{New: func() any { b := make([]byte, frameBufSize); return &b }}

var (
	// ErrClientClose: the client sent a close frame (answered already).
	ErrClientClose = errors.New("websocket: close frame received")
	// ErrReadLimit: a message over the limit (closed with 1009).
	ErrReadLimit = errors.New("websocket: message over maxPayload")
)

// ProtocolError is a frame no client may send (closed with 1002).
type ProtocolError string

func (e ProtocolError) Error() string { return "websocket: protocol error: " + string(e) }

// NewReader reads raw; with rc (raw's descriptor) it reads with read(2) into pooled
// buffers and can Poll, without it it blocks in raw.Read. limit bounds a message.
func NewReader(raw net.Conn, rc syscall.RawConn, limit int, ctl Control) *Reader {
	r := &Reader{raw: raw, rc: rc, limit: limit, ctl: ctl}
	if rc != nil {
		r.readFn = r.readCallback
		r.pollFn = r.pollCallback
	}
	return r
}

// OnDescriptor reports whether the reader reads the descriptor itself (it was given
// its RawConn), and can therefore Poll.
func (r *Reader) OnDescriptor() bool { return r.rc != nil }

// Buffered is the number of bytes read and not consumed yet.
func (r *Reader) Buffered() int { return r.hi - r.lo }

// Dry reports whether the last read(2) returned less than it asked for: the socket
// was read dry then, and a reader of an edge-triggered poller may park.
func (r *Reader) Dry() bool { return r.short }

// Forget drops what Dry knows: after a park nothing is known of the socket.
func (r *Reader) Forget() { r.short = false }

// Release gives the read buffer back (when nothing is buffered, or at the end).
func (r *Reader) Release() {
	if r.buf != nil {
		frameBufPool.Put(r.buf)
		r.buf, r.lo, r.hi = nil, 0, 0
	}
}

// readCallback runs inside rc.Read with the descriptor's read lock held:
// false means "wait until readable and call again". The buffer is taken
// only once there is something to read into it.
func (r *Reader) readCallback(fd uintptr) bool {
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
			r.Release()
		}
		return false
	}
	return true
}

func (r *Reader) sysRead(fd uintptr, p []byte) bool {
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
func (r *Reader) pollCallback(fd uintptr) bool {
	r.polled = r.sysRead(fd, (*r.buf)[r.hi:])
	return true
}

// poll reads once without waiting, into a buffer taken for it, when nothing is
// buffered: true when bytes arrived or the read failed (the error is kept for the
// next read), false when the socket had nothing (EAGAIN: it is read dry, and no
// buffer is held).
func (r *Reader) Poll() bool {
	r.buf = frameBufPool.Get().(*[]byte)
	r.lo, r.hi = 0, 0
	r.rn, r.rerr = 0, nil
	err := r.rc.Read(r.pollFn)
	switch {
	case err != nil:
		r.perr = err // deadline or closed
	case !r.polled:
		r.short = true
		r.Release()
		return false
	case r.rerr != nil:
		r.perr = os.NewSyscallError("read", r.rerr)
	case r.rn == 0:
		r.perr = io.EOF
	default:
		r.hi = r.rn
		return true
	}
	r.Release()
	return true
}

// read reads once into p (or, when p is nil, after the buffered bytes) and
// returns how many bytes arrived; io.EOF when the peer closed.
func (r *Reader) read(p []byte) (int, error) {
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
func (r *Reader) fill() error {
	if r.buf != nil && r.lo == r.hi {
		r.Release() // nothing unread: do not hold a buffer while waiting
	}
	if r.buf != nil && r.hi == len(*r.buf) {
		r.hi = copy(*r.buf, (*r.buf)[r.lo:r.hi])
		r.lo = 0
	}
	n, err := r.read(nil)
	if err != nil {
		if r.buf != nil && r.lo == r.hi {
			r.Release()
		}
		return err
	}
	r.hi += n
	return nil
}

// ensure buffers at least n bytes (n is at most a header plus a control
// payload: far below the buffer's size).
func (r *Reader) ensure(n int) error {
	for r.Buffered() < n {
		if err := r.fill(); err != nil {
			if err == io.EOF && r.Buffered() > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readInto fills dst from the buffer, then from the socket; large remainders
// are read straight into dst.
func (r *Reader) readInto(dst []byte) error {
	for len(dst) > 0 {
		if r.Buffered() > 0 {
			n := copy(dst, (*r.buf)[r.lo:r.hi])
			r.lo += n
			dst = dst[n:]
			continue
		}
		r.Release()
		if len(dst) >= frameBufSize {
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
	if r.Buffered() == 0 {
		r.Release()
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
// The message is in a buffer from msgPool that the caller gives back.
func (r *Reader) Next() (bin bool, msg *[]byte, err error) {
	defer func() {
		if err != nil && msg != nil {
			PutMessage(msg)
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
			Mask(p, key)
			switch op {
			case OpClose:
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
				r.ctl.CloseReceived(code)
				return false, msg, ErrClientClose
			case OpPing:
				r.ctl.WriteControl(OpPong, p)
			case OpPong:
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
		case OpText, OpBinary:
			if inMessage {
				return false, msg, r.protocolError("new message inside a fragmented one")
			}
			inMessage, bin = true, op == OpBinary
		default:
			return false, msg, r.protocolError("unknown data opcode")
		}
		if msg == nil {
			msg = msgPool.Get().(*[]byte)
			*msg = (*msg)[:0]
		}
		if int64(len(*msg))+n > int64(r.limit) {
			r.ctl.SendClose(1009)
			return false, msg, ErrReadLimit
		}
		start := len(*msg)
		*msg = growLen(*msg, int(n))
		p := (*msg)[start:]
		if err := r.readInto(p); err != nil {
			return false, msg, err
		}
		Mask(p, key)
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

func (r *Reader) protocolError(what string) error {
	r.ctl.SendClose(1002)
	return ProtocolError(what)
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

// PutMessage gives a message buffer from Next back.
func PutMessage(bp *[]byte) {
	if cap(*bp) <= msgPooledMax {
		*bp = (*bp)[:0]
		msgPool.Put(bp)
	}
}
