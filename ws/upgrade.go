package ws

import (
	"bytes"
	"errors"
	"time"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
	"github.com/presenced/presenced/ws/internal/wsframe"
)

var (
	errProbe        = errors.New("expected 2probe")
	errUpgradePkt   = errors.New("expected upgrade packet")
	errProbeSession = errors.New("session closed or upgraded during the probe")
)

// runProbe upgrades a polling session to this websocket (Engine.IO v4):
// client `2probe` → server `3probe` on the websocket and a noop to the
// pending GET so the client can pause polling → client `5` → the websocket
// carries the session, queued frames are flushed there, and later polling
// requests get 400. Nothing but `3probe` is written on the websocket before
// `5`. On any failure, or after UpgradeTimeout, the probe socket is closed
// and the session stays on polling.
func (srv *Server) runProbe(w *wsTransport, s *session) (handed bool) {
	s.mu.Lock()
	if s.state == stateClosed || s.transport != transportPolling || s.probe != nil {
		s.mu.Unlock()
		return false
	}
	s.probe = w
	s.mu.Unlock()

	if err := s.probeUpgrade(w); err != nil {
		s.mu.Lock()
		if s.probe == w {
			s.probe = nil
			s.noop = false
		}
		s.mu.Unlock()
		srv.stats.upgradeFailures.Add(1)
		srv.log.Debug("ws: upgrade probe failed", "sid", s.sid, "reason", string(closereason.UpgradeFailed), "err", err)
		return false
	}
	srv.stats.upgrades.Add(1)
	w.register(srv, func() { s.serveReads(w) })
	s.serveReads(w)
	return true
}

func (s *session) probeUpgrade(w *wsTransport) error {
	if err := w.raw.SetReadDeadline(time.Now().Add(s.srv.cfg.UpgradeTimeout)); err != nil {
		return err
	}
	if err := s.readProbePacket(w, []byte("2probe"), errProbe); err != nil {
		return err
	}
	if err := w.writeFrames([][]byte{framePong}, s.srv); err != nil {
		return err
	}
	_ = w.raw.SetWriteDeadline(time.Time{}) // see writeLoop: direct writes need none left
	s.mu.Lock()
	if s.probe != w || s.state == stateClosed {
		s.mu.Unlock()
		return errProbeSession
	}
	s.noop = true
	s.signal() // the pending GET answers a noop: the client pauses polling
	s.mu.Unlock()

	if err := s.readProbePacket(w, []byte{codec.EngineUpgrade}, errUpgradePkt); err != nil {
		return err
	}
	s.mu.Lock()
	if s.probe != w || s.state == stateClosed {
		s.mu.Unlock()
		return errProbeSession
	}
	s.srv.gauge(s.transport).Add(-1)
	s.probe, s.noop = nil, false
	s.transport, s.ws, w.sess = transportWebsocket, w, s
	s.srv.gauge(s.transport).Add(1)
	if len(s.q) > 0 || s.state == stateClosing {
		s.kickLocked() // flush; when closing, the writer then sends the close frame
	}
	s.signal() // a GET still pending answers a noop
	s.mu.Unlock()
	return w.raw.SetReadDeadline(time.Time{})
}

func (s *session) readProbePacket(w *wsTransport, want []byte, errWrong error) error {
	bin, bp, err := w.rd.Next()
	if err != nil {
		return err
	}
	defer wsframe.PutMessage(bp)
	s.received(len(*bp))
	if bin || !bytes.Equal(*bp, want) {
		return errWrong
	}
	return nil
}
