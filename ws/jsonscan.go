package ws

import (
	"encoding/json"
	"errors"
)

// A small validating JSON scanner. Inbound events are split into their raw
// elements in one pass that also validates them, which is what the hot path
// (a pong every few seconds from every socket) needs: no reflection, no
// allocation. Its notion of validity is encoding/json's (checked by
// FuzzJSONScan): strings are not checked for UTF-8, as in json.Valid.

var errJSON = errors.New("invalid JSON")

// maxJSONDepth bounds nesting so a hostile payload cannot grow the stack
// without limit; browsers' JSON.stringify output never comes near it.
const maxJSONDepth = 1000

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanValue validates the JSON value starting at b[i] (no leading space) and
// returns the index just after it.
func scanValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, errJSON
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{':
		return scanObject(b, i, depth+1)
	case c == '[':
		end, _, err := scanArray(b, i, depth+1, nil)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, errJSON
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errJSON
	}
	return i + len(lit), nil
}

// plainStringByte marks bytes that need no attention inside a JSON string
// (not '"', not '\\', not a control character): the scanner skips runs of
// them in a tight loop, which is where a pong's token spends its time.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func scanString(b []byte, i int) (int, error) {
	i++ // opening quote
	for i < len(b) {
		for i+8 <= len(b) && plainStringByte[b[i]] && plainStringByte[b[i+1]] && plainStringByte[b[i+2]] &&
			plainStringByte[b[i+3]] && plainStringByte[b[i+4]] && plainStringByte[b[i+5]] &&
			plainStringByte[b[i+6]] && plainStringByte[b[i+7]] {
			i += 8
		}
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i >= len(b) {
				return 0, errJSON
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 5 {
					return 0, errJSON
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return 0, errJSON
					}
				}
				i += 5
			default:
				return 0, errJSON
			}
		case c < 0x20:
			return 0, errJSON
		default:
			i++
		}
	}
	return 0, errJSON
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return 0, errJSON
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, errJSON
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, errJSON
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

func scanObject(b []byte, i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return 0, errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errJSON
		}
		var err error
		if i, err = scanString(b, i); err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return 0, errJSON
		}
		i = skipSpace(b, i+1)
		if i, err = scanValue(b, i, depth); err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, errJSON
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errJSON
		}
	}
}

// scanArray validates an array; when collect is non-nil every element's raw
// bytes (sub-slices of b, without surrounding space) are appended to it.
func scanArray(b []byte, i, depth int, collect []json.RawMessage) (int, []json.RawMessage, error) {
	if depth > maxJSONDepth {
		return 0, collect, errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, collect, nil
	}
	for {
		start := i
		var err error
		if i, err = scanValue(b, i, depth); err != nil {
			return 0, collect, err
		}
		if collect != nil {
			collect = append(collect, b[start:i])
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, collect, errJSON
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, collect, nil
		default:
			return 0, collect, errJSON
		}
	}
}

// validJSON reports whether b is exactly one JSON value, optionally
// surrounded by whitespace (json.Valid semantics).
func validJSON(b []byte) bool {
	i := skipSpace(b, 0)
	end, err := scanValue(b, i, 0)
	return err == nil && skipSpace(b, end) == len(b)
}

// splitArray validates that b is exactly one JSON array (optionally
// surrounded by whitespace) and appends its elements to elems (which must
// not be nil: pass a zero-length slice).
func splitArray(b []byte, elems []json.RawMessage) ([]json.RawMessage, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return elems, errJSON
	}
	if elems == nil {
		elems = make([]json.RawMessage, 0, 4)
	}
	end, elems, err := scanArray(b, i, 0, elems)
	if err != nil || skipSpace(b, end) != len(b) {
		return elems, errJSON
	}
	return elems, nil
}

// appendJSONString appends s as a JSON string. Only '"', '\\' and control
// characters need escaping for JSON.parse; everything else is copied.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
