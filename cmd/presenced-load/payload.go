package main

import (
	"strconv"
)

// The client reads a few fields of the server's payloads on the hot path (a
// ping's ts and seq, an update's count and left). The payloads were already
// validated by the Socket.IO decoder, so these helpers only walk the top
// level of an object, skipping nested values, without allocating.

// topField returns the raw value of key at the top level of the JSON object
// obj, or nil. obj must be valid JSON.
func topField(obj []byte, key string) []byte {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return nil
		}
		kEnd := skipString(obj, i)
		k := obj[i+1 : kEnd-1]
		i = skipWS(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil
		}
		i = skipWS(obj, i+1)
		vEnd := skipValue(obj, i)
		if string(k) == key {
			return obj[i:vEnd]
		}
		i = skipWS(obj, vEnd)
		if i >= len(obj) || obj[i] != ',' {
			return nil
		}
		i++
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] (a quote).
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

// intField reads an integer field at the top level of obj.
func intField(obj []byte, key string) (int64, bool) {
	v := topField(obj, key)
	if len(v) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// stringField reads a string field without escapes (ids, codes).
func stringField(obj []byte, key string) (string, bool) {
	v := topField(obj, key)
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

// eachInt calls fn for each integer of the array field key (the update's
// `left`); it reports whether the field was an array.
func eachInt(obj []byte, key string, fn func(int64)) bool {
	v := topField(obj, key)
	if len(v) < 2 || v[0] != '[' {
		return false
	}
	var n int64
	in, neg := false, false
	for _, c := range v[1:] {
		switch {
		case c >= '0' && c <= '9':
			n, in = n*10+int64(c-'0'), true
		case c == '-':
			neg = true
		default:
			if in {
				if neg {
					n = -n
				}
				fn(n)
			}
			n, in, neg = 0, false, false
		}
	}
	return true
}

// eachElem calls fn for each element of the array field key (the raw JSON
// of each value: the `joined` users of an update, the `users` of a
// presence:watch_update); it reports whether the field was an array.
func eachElem(obj []byte, key string, fn func(elem []byte)) bool {
	v := topField(obj, key)
	if len(v) < 2 || v[0] != '[' {
		return false
	}
	i := skipWS(v, 1)
	if i < len(v) && v[i] == ']' {
		return true
	}
	for i < len(v) {
		end := skipValue(v, i)
		if end == i {
			return true // not a value: malformed (the decoder checked it), stop
		}
		fn(v[i:end])
		i = skipWS(v, end)
		if i >= len(v) || v[i] != ',' {
			return true
		}
		i = skipWS(v, i+1)
	}
	return true
}

// boolField reads a boolean field at the top level of obj.
func boolField(obj []byte, key string) (val, ok bool) {
	switch string(topField(obj, key)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
