package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// The HTTP side of the contract the load generator needs: register, log in,
// read /metrics. Bcrypt bounds these calls on the server, so net/http's cost
// on the client does not matter here (the GET benchmark uses rawhttp.go).

// seedUser is one registered user.
type seedUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

// seedFile is what -mode seed writes and -mode sockets reads. Tokens are
// long-lived JWTs of the server that issued them (its secret is kept with
// its database).
type seedFile struct {
	URL    string     `json:"url"`
	Users  []seedUser `json:"users"`
	Probes []seedUser `json:"probes"` // single-socket users for tab-close latency
}

func readSeed(path string) (*seedFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s seedFile
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return &s, nil
}

func writeSeed(path string, s *seedFile) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

type apiClient struct {
	base string
	hc   *http.Client
}

func newAPIClient(base string, conns int) *apiClient {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &apiClient{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

type authAnswer struct {
	User struct {
		ID int64 `json:"id"`
	} `json:"user"`
	Token string `json:"token"`
}

// post sends a JSON body and decodes a JSON answer with the wanted status.
func (a *apiClient) post(ctx context.Context, path string, body any, want int, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &httpError{Path: path, Status: resp.StatusCode, StatusText: resp.Status, Body: string(rb), RetryAfter: resp.Header.Get("Retry-After")}
	}
	return json.Unmarshal(rb, out)
}

// httpError is a POST answered with another status than the one wanted.
type httpError struct {
	Path       string
	Status     int
	StatusText string // "429 Too Many Requests"
	Body       string
	RetryAfter string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("POST %s: %s: %.200s", e.Path, e.StatusText, e.Body)
}

func (a *apiClient) register(ctx context.Context, username, password string) (seedUser, error) {
	var ans authAnswer
	err := a.post(ctx, "/api/register/", map[string]string{
		"username": username, "email": username + "@example.org", "password": password,
	}, http.StatusCreated, &ans)
	return seedUser{ID: ans.User.ID, Username: username, Password: password, Token: ans.Token}, err
}

func (a *apiClient) login(ctx context.Context, username, password string) (string, error) {
	var ans authAnswer
	err := a.post(ctx, "/api-token-auth/", map[string]string{"username": username, "password": password}, http.StatusOK, &ans)
	if err == nil && ans.Token == "" {
		err = fmt.Errorf("login %s: no token", username)
	}
	return ans.Token, err
}

// metrics reads the unlabelled (or summed over labels) values of the named
// series from GET /metrics; a server without /metrics gives an empty map.
func (a *apiClient) metrics(ctx context.Context, names ...string) map[string]float64 {
	out := map[string]float64{}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return out
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out
	}
	return parseMetrics(resp.Body, names)
}

// parseMetrics sums the samples of each wanted series in Prometheus text
// format; a wanted name may carry a label matcher, as in
// `presenced_socketio_frames_total{direction="out"}`.
func parseMetrics(r io.Reader, names []string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, val := line[:sp], line[sp+1:]
		name, labels, _ := strings.Cut(series, "{")
		for _, want := range names {
			wname, wlabel, hasLabel := strings.Cut(want, "{")
			if wname != name || (hasLabel && !strings.Contains(labels, strings.TrimSuffix(wlabel, "}"))) {
				continue
			}
			if v, err := strconv.ParseFloat(val, 64); err == nil {
				out[want] += v
			}
		}
	}
	return out
}
