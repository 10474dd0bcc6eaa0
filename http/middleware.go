package http

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const localRequestID = "presenced.request_id"

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a caller's X-Request-ID only if it is short and printable,
// so that it cannot forge log lines.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// accessLog logs every request once it is answered: failures at info (5xx at error),
// successes at debug — a log line is a write to stderr, which at thousands of
// requests a second costs more than the request (-log-level debug shows them all).
func (s *server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	} else {
		id = strings.Clone(id)
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now so the status is logged right.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
		err = nil
	}
	path := c.Path()
	level := slog.LevelDebug
	switch status := c.Response().StatusCode(); {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelInfo
	}
	s.cfg.Logger.Log(c.UserContext(), level, "request",
		"method", c.Method(), "path", path, "status", c.Response().StatusCode(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "ip", s.clientIP(c), "request_id", id)
	return err
}

// recoverPanics turns a panic in a handler into a logged 500 in DRF's shape.
func (s *server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("panic in handler", "method", c.Method(), "path", c.Path(),
				"request_id", requestID(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = detail(fiber.StatusInternalServerError, msgServerError)
		}
	}()
	return c.Next()
}

// drainMax bounds how much of an oversize body is read and discarded so that the
// client can read the 413; past it the connection is closed.
const drainMax = 64 << 20

// limitBody reads the request body, up to the configured limit, from the stream fasthttp
// hands over (StreamRequestBody). An oversize body — declared or chunked — is drained
// and answered with 413 in DRF's shape; the client receives it instead of a reset.
func (s *server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	if !req.IsBodyStream() {
		return c.Next()
	}
	limit := s.cfg.BodyLimit
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(limit)+1))
	if err != nil {
		c.Set(fiber.HeaderConnection, "close")
		return detail(fiber.StatusBadRequest, "Could not read the request body.")
	}
	if len(body) > limit {
		if n, _ := io.CopyN(io.Discard, req.BodyStream(), drainMax); n == drainMax {
			c.Set(fiber.HeaderConnection, "close")
		}
		req.SetBodyRaw(nil)
		return detail(fiber.StatusRequestEntityTooLarge, "Request body is too large.")
	}
	req.SetBodyRaw(body)
	return c.Next()
}
