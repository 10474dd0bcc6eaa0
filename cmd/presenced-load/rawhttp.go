package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// rawGetter sends one fixed GET over a keep-alive connection and reads the
// answer with the least client CPU: the authenticated-GET benchmark must
// measure the server, not net/http on the client's single core.
type rawGetter struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

var errHTTPFormat = errors.New("malformed HTTP response")

func dialGetter(ctx context.Context, d *net.Dialer, host, path, token string) (*rawGetter, error) {
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Token " + token +
		"\r\nUser-Agent: presenced-load\r\nAccept: application/json\r\n\r\n"
	return &rawGetter{c: c, br: bufio.NewReaderSize(c, 8192), req: []byte(req)}, nil
}

// get sends the request and returns the status; the body is read and dropped.
func (g *rawGetter) get() (int, error) {
	if _, err := g.c.Write(g.req); err != nil {
		return 0, err
	}
	return readResponse(g.br)
}

func (g *rawGetter) close() { _ = g.c.Close() }

// readResponse reads one HTTP/1.1 response (Content-Length or chunked body).
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, errHTTPFormat
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errHTTPFormat
	}
	length, chunked := -1, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, errHTTPFormat
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, errHTTPFormat
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		}
	}
	switch {
	case chunked:
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			l, _, _ = bytes.Cut(bytes.TrimSpace(l), []byte(";"))
			n, err := strconv.ParseInt(string(l), 16, 64)
			if err != nil {
				return 0, errHTTPFormat
			}
			if _, err := discardN(br, int(n)+2); err != nil { // data + CRLF
				return 0, err
			}
			if n == 0 {
				return status, nil
			}
		}
	case length >= 0:
		if _, err := discardN(br, length); err != nil {
			return 0, err
		}
		return status, nil
	}
	return 0, fmt.Errorf("%w: no length", errHTTPFormat)
}

func discardN(br *bufio.Reader, n int) (int, error) {
	d, err := br.Discard(n)
	if err == io.EOF && d < n {
		err = io.ErrUnexpectedEOF
	}
	return d, err
}
