// Package jsonscan is a small validating JSON scanner for presenced's hot paths: inbound
// Socket.IO events are split into their raw elements, and an ng-action's fields read,
// in one pass that also validates them — no reflection, no allocation. Its notion of
// validity is encoding/json's (checked by the ws package's FuzzJSONScan): strings are
// not checked for UTF-8, as in json.Valid. It imports nothing of presenced.
package jsonscan

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// ErrInvalid is returned for input that is not the JSON asked for.
var ErrInvalid = errors.New("invalid JSON")

var errJSON = ErrInvalid

// MaxDepth bounds nesting so a hostile payload cannot grow the stack
// without limit; browsers' JSON.stringify output never comes near it.
const MaxDepth = 1000

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
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
	if depth > MaxDepth {
		return 0, errJSON
	}
	i = SkipSpace(b, i+1)
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
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return 0, errJSON
		}
		i = SkipSpace(b, i+1)
		if i, err = scanValue(b, i, depth); err != nil {
			return 0, err
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return 0, errJSON
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
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
	if depth > MaxDepth {
		return 0, collect, errJSON
	}
	i = SkipSpace(b, i+1)
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
		i = SkipSpace(b, i)
		if i >= len(b) {
			return 0, collect, errJSON
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1, collect, nil
		default:
			return 0, collect, errJSON
		}
	}
}

// Valid reports whether b is exactly one JSON value, optionally surrounded by
// whitespace (json.Valid semantics).
func Valid(b []byte) bool {
	i := SkipSpace(b, 0)
	end, err := scanValue(b, i, 0)
	return err == nil && SkipSpace(b, end) == len(b)
}

// SplitArray validates that b is exactly one JSON array (optionally surrounded by
// whitespace) and appends its elements (sub-slices of b) to elems.
func SplitArray(b []byte, elems []json.RawMessage) ([]json.RawMessage, error) {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return elems, errJSON
	}
	if elems == nil {
		elems = make([]json.RawMessage, 0, 4)
	}
	end, elems, err := scanArray(b, i, 0, elems)
	if err != nil || SkipSpace(b, end) != len(b) {
		return elems, errJSON
	}
	return elems, nil
}

// appendJSONString appends s as a JSON string. Only '"', '\\' and control
// characters need escaping for JSON.parse; everything else is copied.
func AppendString(dst []byte, s string) []byte {
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

// Fields validates that b is exactly one JSON object and calls fn with each member's
// key (unescaped) and raw value (a sub-slice of b), in order.
func Fields(b []byte, fn func(key string, value []byte)) error {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errJSON
	}
	end, err := scanObject(b, i, 0) // validate first: fn sees only valid input
	if err != nil || SkipSpace(b, end) != len(b) {
		return errJSON
	}
	i = SkipSpace(b, i+1)
	for i < end-1 {
		ks := i
		i, _ = scanString(b, i)
		key, _ := Unquote(b[ks:i])
		i = SkipSpace(b, SkipSpace(b, i)+1) // past ':'
		vs := i
		i, _ = scanValue(b, i, 1)
		fn(key, b[vs:i])
		i = SkipSpace(b, i)
		if b[i] == ',' {
			i = SkipSpace(b, i+1)
		} else {
			break
		}
	}
	return nil
}

// Unquote returns the text of a valid JSON string literal (quotes included in raw);
// ok is false when raw is not one.
func Unquote(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain && utf8.Valid(inner) {
		return string(inner), true
	}
	return s, json.Unmarshal(raw, &s) == nil
}
