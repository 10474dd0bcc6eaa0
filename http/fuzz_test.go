package http

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIBodies throws arbitrary bodies and content types at the endpoints that parse
// bodies: whatever arrives, the answer is a 4xx/2xx in DRF's JSON shape, never a 500.
func FuzzAPIBodies(f *testing.F) {
	seeds := []struct{ ctype, body string }{
		{"application/json", `{"username":"alice","password":"correct horse"}`},
		{"application/json", `{"username":"a","email":"a@x.org","password":"correct horse"}`},
		{"application/json", `{"username":`},
		{"application/json", `[{"username":"a"}]`},
		{"application/json", `{"username":{"$gt":""},"password":null}`},
		{"application/json", "{\"username\":\"\\ud800\",\"password\":\"x\"}"},
		{"application/x-www-form-urlencoded", "username=a&password=b&username=c"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nbob\r\n--x--\r\n"},
		{"", `{"username":"a"}`},
		{"text/plain", "hello"},
	}
	for _, s := range seeds {
		f.Add("/api-token-auth/", s.ctype, s.body)
		f.Add("/api/register/", s.ctype, s.body)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, path, ctype, body string) {
		if path != "/api-token-auth/" && path != "/api/register/" {
			path = "/api-token-auth/"
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		res, err := e.app.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("%s %q %q → %d %s", path, ctype, body, res.StatusCode, b)
		}
		if res.StatusCode >= 400 && !json.Valid(b) {
			t.Fatalf("%d body is not JSON: %q", res.StatusCode, b)
		}
	})
}
