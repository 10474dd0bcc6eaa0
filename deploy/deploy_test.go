// Package deploy holds the operator files (Dockerfile, compose.yaml, prometheus.yml,
// the Grafana dashboard). Docker may not run where the tests run, so these tests parse
// the files and hold them against the real binary: its flags (from -h), its default
// port, and the metrics it actually exposes on /metrics.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presenced/presenced/auth"
	"go.yaml.in/yaml/v3"
)

const (
	modulePath = "github.com/presenced/presenced"

	buildTimeout   = 5 * time.Minute
	commandTimeout = 30 * time.Second
	startTimeout   = 30 * time.Second
	stopTimeout    = 10 * time.Second
)

// The services compose.yaml must define, and which of them run presenced.
var (
	wantServices  = []string{"node1", "node2", "redis", "postgres", "prometheus"}
	presencedSvcs = []string{"node1", "node2"}
)

// extraEnv are PRESENCED_* variables that are not flag twins but are read by the
// binary: the password of `presenced createsuperuser` (cmd/presenced/createsuperuser.go).
var extraEnv = map[string]bool{"PRESENCED_PASSWORD": true}

// wantDashboardMetrics must each be used by at least one panel of the dashboard, so
// that a panel the operators rely on is not dropped unnoticed.
var wantDashboardMetrics = []string{
	"presenced_connections",
	"presenced_users_online",
	"presenced_pongs_total",
	"presenced_broadcasts_total",
	"presenced_update_deliveries_total",
	"presenced_fanout_sockets_bucket",
	"presenced_logins_total",
	"presenced_binds_total",
	"presenced_rate_limited_total",
	"presenced_no_pong_closes_total",
	"presenced_actors",
	"presenced_actor_messages_total",
	"presenced_actor_restarts_total",
	"presenced_actor_mailbox_length",
	"presenced_actor_mailbox_high_water",
	"presenced_actor_handle_seconds_bucket",
	"presenced_socketio_sessions",
	"presenced_socketio_bytes_total",
	"presenced_socketio_slow_consumer_closes_total",
	"presenced_socketio_protocol_errors_total",
	"presenced_redis_up",
	"go_memstats_heap_inuse_bytes",
	"go_goroutines",
	"process_cpu_seconds_total",
}

// targetLabels are attached by Prometheus at scrape time, not exposed by the binary.
var targetLabels = map[string]bool{"instance": true, "job": true}

// ---- the binary ----------------------------------------------------------------------

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds ../cmd/presenced once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "presenced-deploy-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "presenced")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", binPath, "../cmd/presenced")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ../cmd/presenced: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// goTool is the go command running these tests (go test puts GOROOT/bin first in PATH).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// cleanEnv is the environment without PRESENCED_* variables, so that the caller's
// environment cannot change what the binary reports.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PRESENCED_") {
			env = append(env, kv)
		}
	}
	return env
}

// flagInfo is one flag as `-h` prints it.
type flagInfo struct {
	Type    string // "string", "duration", "int", … ("" for a bool)
	Default string // as printed in "(default …)", unquoted; "" when none
}

var (
	flagRE    = regexp.MustCompile(`^  -([A-Za-z0-9][\w-]*)(?: (\w+))?`)
	defaultRE = regexp.MustCompile(`\(default ("(?:[^"\\]|\\.)*"|[^)]*)\)`)
)

// helpFlags runs `presenced [args…] -h` and parses the flags it lists.
func helpFlags(t *testing.T, args ...string) map[string]flagInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), append(args, "-h")...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("presenced %s -h: %v\n%s", strings.Join(args, " "), err, out)
	}
	flags := map[string]flagInfo{}
	var last string
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\r\n")
		if m := flagRE.FindStringSubmatch(line); m != nil {
			last = m[1]
			flags[last] = flagInfo{Type: m[2]}
		} else if last == "" || !strings.HasPrefix(line, "    ") {
			continue
		}
		if m := defaultRE.FindStringSubmatch(line); m != nil {
			fi := flags[last]
			fi.Default = m[1]
			if s, err := strconv.Unquote(m[1]); err == nil {
				fi.Default = s
			}
			flags[last] = fi
		}
	}
	if len(flags) == 0 {
		t.Fatalf("presenced %s -h lists no flags:\n%s", strings.Join(args, " "), out)
	}
	return flags
}

// envName is the environment twin of a flag: -foo-bar ↔ PRESENCED_FOO_BAR.
func envName(flag string) string {
	return "PRESENCED_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// twins maps every PRESENCED_* twin to its flag.
func twins(flags map[string]flagInfo) map[string]string {
	m := map[string]string{}
	for f := range flags {
		m[envName(f)] = f
	}
	return m
}

// checkValue checks an environment value against the flag's type as -h prints it.
func checkValue(fi flagInfo, v string) error {
	switch fi.Type {
	case "duration":
		_, err := time.ParseDuration(v)
		return err
	case "int":
		_, err := strconv.Atoi(v)
		return err
	case "":
		_, err := strconv.ParseBool(v)
		return err
	}
	return nil
}

// portOf is the port of a listen address such as ":8888".
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		t.Fatalf("listen address %q has no port: %v", addr, err)
	}
	return port
}

// flagArgs are the flag names among command-line arguments (-name, --name, -name=v).
func flagArgs(args []string) []string {
	var names []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		names = append(names, name)
	}
	return names
}

// ---- Dockerfile ----------------------------------------------------------------------

// dockerImage is what the tests need to know of the final stage of deploy/Dockerfile.
type dockerImage struct {
	Env    map[string]string
	Cmd    []string // CMD in exec form
	Expose []string
}

// finalImage parses deploy/Dockerfile and returns its final stage's settings.
func finalImage(t *testing.T) dockerImage {
	t.Helper()
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) == 0 {
		t.Fatal("Dockerfile: no FROM")
	}
	img := dockerImage{Env: map[string]string{}}
	for _, in := range stages[len(stages)-1].Instr {
		switch in.Cmd {
		case "ENV":
			kv, err := envPairs(in.Args)
			if err != nil {
				t.Fatalf("Dockerfile:%d: %v", in.Line, err)
			}
			for k, v := range kv {
				img.Env[k] = v
			}
		case "CMD":
			list, ok := execForm(in.Args)
			if !ok {
				t.Errorf("Dockerfile:%d: CMD must be in exec (JSON) form: %s", in.Line, in.Args)
			}
			img.Cmd = list
		case "ENTRYPOINT":
			img.Cmd = nil // a new ENTRYPOINT clears an earlier CMD
		case "EXPOSE":
			for _, p := range strings.Fields(in.Args) {
				p, _, _ = strings.Cut(p, "/")
				img.Expose = append(img.Expose, p)
			}
		}
	}
	return img
}

// effectiveAddr is the listen address a container runs with: -addr in args, else
// PRESENCED_ADDR in env, else the binary's default.
func effectiveAddr(flags map[string]flagInfo, args []string, env ...map[string]string) string {
	for i, a := range args {
		for _, p := range []string{"-addr", "--addr"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	for _, e := range env {
		if v, ok := e["PRESENCED_ADDR"]; ok {
			return v
		}
	}
	return flags["addr"].Default
}

func TestDockerfile(t *testing.T) {
	flags := helpFlags(t)
	tw := twins(flags)
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a multi-stage build, got %d stage(s)", len(stages))
	}

	// The build stage: a Go at least as new as go.mod asks, building a static binary.
	build := stages[0]
	m := regexp.MustCompile(`^(?:docker\.io/)?(?:library/)?golang:(\d+)\.(\d+)`).FindStringSubmatch(build.From)
	if m == nil {
		t.Errorf("Dockerfile: the build stage is FROM %s; want golang:<version>-…", build.From)
	} else {
		gomod, err := os.ReadFile("../go.mod")
		if err != nil {
			t.Fatal(err)
		}
		want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(gomod))
		if want == nil {
			t.Fatal("go.mod has no go directive")
		}
		if atoi(m[1]) < atoi(want[1]) || (atoi(m[1]) == atoi(want[1]) && atoi(m[2]) < atoi(want[2])) {
			t.Errorf("Dockerfile: the build stage has Go %s.%s; go.mod needs go %s.%s", m[1], m[2], want[1], want[2])
		}
	}
	var buildCmd string
	for _, in := range build.Instr {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
			buildCmd = in.Args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/presenced", "-o /out/presenced"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("Dockerfile: the build stage's go build (%q) lacks %q", buildCmd, want)
		}
	}

	// The final stage: distroless, non-root, the binary as entrypoint, the port, /data.
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.From, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile: the final stage is FROM %s; want gcr.io/distroless/static…", final.From)
	}
	user := ""
	for _, in := range final.Instr {
		if in.Cmd == "USER" {
			user = in.Args
		}
	}
	switch {
	case user == "" && !strings.Contains(final.From, "nonroot"):
		t.Errorf("Dockerfile: the final stage (FROM %s) has no USER and its image is not a nonroot one: it runs as root", final.From)
	case user != "":
		name, _, _ := strings.Cut(user, ":")
		if name == "root" || name == "0" {
			t.Errorf("Dockerfile: the final stage runs as USER %s; want a non-root user", user)
		}
	}
	var entry []string
	var copied, volumes []string
	owned := map[string]string{} // destination → --chown of the COPY that made it
	for _, in := range final.Instr {
		switch in.Cmd {
		case "ENTRYPOINT":
			list, ok := execForm(in.Args)
			if !ok {
				t.Errorf("Dockerfile:%d: ENTRYPOINT must be in exec (JSON) form (no shell in distroless): %s", in.Line, in.Args)
			}
			entry = list
		case "COPY":
			fields := strings.Fields(in.Args)
			if len(fields) > 0 && slices.ContainsFunc(fields, func(f string) bool { return f == "--from="+build.Name }) {
				copied = append(copied, fields[len(fields)-1])
			}
			for _, f := range fields {
				if v, ok := strings.CutPrefix(f, "--chown="); ok && len(fields) > 0 {
					owned[path.Clean(fields[len(fields)-1])] = v
				}
			}
		case "VOLUME":
			if list, ok := execForm(in.Args); ok {
				volumes = append(volumes, list...)
			} else {
				volumes = append(volumes, strings.Fields(in.Args)...)
			}
		case "HEALTHCHECK":
			if strings.HasPrefix(final.From, "gcr.io/distroless/") && !strings.EqualFold(strings.TrimSpace(in.Args), "NONE") {
				t.Errorf("Dockerfile:%d: HEALTHCHECK on distroless (no shell, no curl) cannot run: %s", in.Line, in.Args)
			}
		}
	}
	if len(entry) == 0 || entry[0] != "/presenced" {
		t.Errorf("Dockerfile: ENTRYPOINT is %q; want [\"/presenced\"]", entry)
	}
	if !slices.Contains(copied, "/presenced") {
		t.Errorf("Dockerfile: the final stage copies %q from stage %q; want the binary at /presenced", copied, build.Name)
	}
	if !slices.Contains(volumes, "/data") {
		t.Errorf("Dockerfile: VOLUME %q; want /data (SQLite and its jwt.secret)", volumes)
	}
	// A named volume takes the owner of the image's directory: root-owned, the non-root
	// server could not create its database there.
	for _, v := range volumes {
		if o, _, _ := strings.Cut(owned[path.Clean(v)], ":"); o == "" || o == "0" || o == "root" {
			t.Errorf("Dockerfile: volume %s is not created with COPY --chown=<non-root> (got %q): the server could not write to it", v, owned[path.Clean(v)])
		}
	}

	img := finalImage(t)
	for k, v := range img.Env {
		if !strings.HasPrefix(k, "PRESENCED_") {
			continue
		}
		f, ok := tw[k]
		if !ok {
			t.Errorf("Dockerfile: ENV %s is not the twin of any flag of presenced -h", k)
			continue
		}
		if err := checkValue(flags[f], v); err != nil {
			t.Errorf("Dockerfile: ENV %s=%q is not a valid -%s (%s): %v", k, v, f, flags[f].Type, err)
		}
	}
	for _, f := range flagArgs(img.Cmd) {
		if _, ok := flags[f]; !ok {
			t.Errorf("Dockerfile: CMD uses -%s, which presenced -h does not list", f)
		}
	}
	db := img.Env["PRESENCED_DB"]
	for i, a := range img.Cmd {
		if a == "-db" && i+1 < len(img.Cmd) {
			db = img.Cmd[i+1]
		}
	}
	if p, ok := strings.CutPrefix(db, "sqlite://"); !ok || !slices.ContainsFunc(volumes, func(v string) bool {
		return strings.HasPrefix(path.Clean(p), strings.TrimSuffix(v, "/")+"/")
	}) {
		t.Errorf("Dockerfile: the default database is %q; want sqlite:// on a path inside a VOLUME (%q)", db, volumes)
	}

	// The port: EXPOSE is the port the container listens on.
	port := portOf(t, effectiveAddr(flags, img.Cmd, img.Env))
	if want := portOf(t, flags["addr"].Default); port != want {
		t.Errorf("Dockerfile: the container listens on %s; the binary's default -addr is %s", port, flags["addr"].Default)
	}
	if !slices.Equal(img.Expose, []string{port}) {
		t.Errorf("Dockerfile: EXPOSE %q; want exactly %s (the port of -addr)", img.Expose, port)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// ---- .dockerignore -------------------------------------------------------------------

// buildInputs lists, relative to the module root, the files `go build ./cmd/presenced`
// reads: go.mod, go.sum, and the Go and embedded files of every package of this module
// it compiles.
func buildInputs(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "list", "-deps", "-json", "./cmd/presenced")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/presenced: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                             string
			Module                          *struct{ Path string }
			GoFiles, EmbedFiles, OtherFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != modulePath {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range slices.Concat(p.GoFiles, p.EmbedFiles, p.OtherFiles) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) < 10 {
		t.Fatalf("go list found only %q", files)
	}
	return files
}

func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	files := buildInputs(t)
	// deploy/Dockerfile.dockerignore is what BuildKit uses for deploy/Dockerfile; a
	// root .dockerignore, when there is one, is what the legacy builder uses.
	for _, name := range []string{"Dockerfile.dockerignore", "../.dockerignore"} {
		data, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) && name != "Dockerfile.dockerignore" {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		rules, err := parseDockerignore(string(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range files {
			if ex, by := ignored(rules, f); ex {
				t.Errorf("%s: %q (excluded by %q) is needed by go build ./cmd/presenced", name, f, by)
			}
		}
		// It should trim something: the git history and node_modules are large.
		for _, f := range []string{".git/HEAD", "web/node_modules/x/package.json"} {
			if ex, _ := ignored(rules, f); !ex {
				t.Errorf("%s: %q is sent to the builder; exclude it", name, f)
			}
		}
	}
}

// ---- compose.yaml --------------------------------------------------------------------

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string          `yaml:"image"`
	Build       *composeBuild   `yaml:"build"`
	Environment composeEnv      `yaml:"environment"`
	Command     composeArgs     `yaml:"command"`
	Entrypoint  composeArgs     `yaml:"entrypoint"`
	Ports       []composePort   `yaml:"ports"`
	DependsOn   composeDepends  `yaml:"depends_on"`
	Healthcheck *map[string]any `yaml:"healthcheck"`
	Volumes     []string        `yaml:"volumes"`
	User        string          `yaml:"user"`
}

// composeBuild is `build: path` or `build: {context, dockerfile}`.
type composeBuild struct{ Context, Dockerfile string }

func (b *composeBuild) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	var m struct{ Context, Dockerfile string }
	if err := n.Decode(&m); err != nil {
		return err
	}
	*b = composeBuild(m)
	return nil
}

// composeEnv is `environment:` as a map or as a list of K=V.
type composeEnv map[string]string

func (e *composeEnv) UnmarshalYAML(n *yaml.Node) error {
	*e = composeEnv{}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			(*e)[n.Content[i].Value] = n.Content[i+1].Value
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			k, v, _ := strings.Cut(c.Value, "=")
			(*e)[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a map or a list", n.Line)
	}
	return nil
}

// composeArgs is `command:` / `entrypoint:` as a list or a string (split on spaces).
type composeArgs struct {
	Set  bool
	Args []string
}

func (a *composeArgs) UnmarshalYAML(n *yaml.Node) error {
	a.Set = true
	if n.Kind == yaml.ScalarNode {
		a.Args = strings.Fields(n.Value)
		return nil
	}
	return n.Decode(&a.Args)
}

// composePort is one entry of `ports:`, short ("8881:8888") or long ({target, published}).
type composePort struct{ Published, Target string }

func (p *composePort) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var m struct {
			Target    int    `yaml:"target"`
			Published string `yaml:"published"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		p.Target, p.Published = strconv.Itoa(m.Target), m.Published
		return nil
	}
	s, _, _ := strings.Cut(n.Value, "/")
	parts := strings.Split(s, ":")
	p.Target = parts[len(parts)-1]
	if len(parts) > 1 {
		p.Published = parts[len(parts)-2]
	}
	for _, x := range []string{p.Target, p.Published} {
		if _, err := strconv.Atoi(x); x != "" && err != nil {
			return fmt.Errorf("line %d: port %q: want [HOST:]CONTAINER with single ports", n.Line, n.Value)
		}
	}
	return nil
}

// composeDepends is `depends_on:` as a list or as a map of {condition}.
type composeDepends map[string]string

func (d *composeDepends) UnmarshalYAML(n *yaml.Node) error {
	*d = composeDepends{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, s := range list {
			(*d)[s] = "service_started"
		}
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		(*d)[k] = orDefault(v.Condition, "service_started")
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(false)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml is not valid: %v", err)
	}
	return c
}

func TestCompose(t *testing.T) {
	flags := helpFlags(t)
	tw := twins(flags)
	c := loadCompose(t)
	img := finalImage(t)
	defaultPort := portOf(t, flags["addr"].Default)

	for _, s := range wantServices {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("compose.yaml: no service %q", s)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Images of the dependencies, and PostgreSQL's healthcheck.
	for svc, prefix := range map[string]string{"redis": "redis:7", "postgres": "postgres:15", "prometheus": "prom/prometheus"} {
		if img := c.Services[svc].Image; !strings.HasPrefix(img, prefix) {
			t.Errorf("compose.yaml: %s runs image %q; want %s…", svc, img, prefix)
		}
	}
	if hc := c.Services["postgres"].Healthcheck; hc == nil || (*hc)["test"] == nil {
		t.Error("compose.yaml: postgres has no healthcheck (the nodes wait for service_healthy)")
	}

	// The presenced nodes.
	published := map[string]string{}
	var shared map[string]string
	for _, name := range presencedSvcs {
		svc := c.Services[name]
		if svc.Build == nil {
			t.Errorf("compose.yaml: %s has no build section", name)
		} else {
			ctxDir := filepath.Join(".", svc.Build.Context)
			if _, err := os.Stat(filepath.Join(ctxDir, "go.mod")); err != nil {
				t.Errorf("compose.yaml: %s builds with context %q, which is not the module root: %v", name, svc.Build.Context, err)
			}
			df := filepath.Join(ctxDir, orDefault(svc.Build.Dockerfile, "Dockerfile"))
			if abs, _ := filepath.Abs(df); !strings.HasSuffix(filepath.ToSlash(abs), "/deploy/Dockerfile") {
				t.Errorf("compose.yaml: %s builds %s; want deploy/Dockerfile", name, df)
			} else if _, err := os.Stat(df); err != nil {
				t.Errorf("compose.yaml: %s: %v", name, err)
			}
		}
		if dep := svc.DependsOn["postgres"]; dep != "service_healthy" {
			t.Errorf("compose.yaml: %s depends on postgres with condition %q; want service_healthy", name, dep)
		}

		// Every PRESENCED_* variable is the twin of a real flag, with a value of its type.
		for k, v := range svc.Environment {
			if !strings.HasPrefix(k, "PRESENCED_") {
				continue
			}
			f, ok := tw[k]
			if !ok {
				t.Errorf("compose.yaml: %s sets %s, which is not the twin of any flag of presenced -h", name, k)
				continue
			}
			if err := checkValue(flags[f], v); err != nil {
				t.Errorf("compose.yaml: %s: %s=%q is not a valid -%s (%s): %v", name, k, v, f, flags[f].Type, err)
			}
		}
		args := img.Cmd
		if svc.Command.Set {
			args = svc.Command.Args
		}
		for _, f := range flagArgs(slices.Concat(svc.Entrypoint.Args, args)) {
			if _, ok := flags[f]; !ok {
				t.Errorf("compose.yaml: %s runs with -%s, which presenced -h does not list", name, f)
			} else if _, set := svc.Environment[envName(f)]; set {
				t.Errorf("compose.yaml: %s sets %s but its command line has -%s, which wins over it", name, envName(f), f)
			}
		}

		// The values multi-node needs.
		env := svc.Environment
		if len(env["PRESENCED_JWT_SECRET"]) < auth.MinSecretBytes {
			t.Errorf("compose.yaml: %s: PRESENCED_JWT_SECRET has %d bytes; presenced needs %d or more", name, len(env["PRESENCED_JWT_SECRET"]), auth.MinSecretBytes)
		}
		if lf := env["PRESENCED_LOG_FORMAT"]; lf != "json" {
			t.Errorf("compose.yaml: %s: PRESENCED_LOG_FORMAT=%q; want json", name, lf)
		}
		checkServiceURL(t, c, name, "PRESENCED_DB", env["PRESENCED_DB"], "postgres")
		checkServiceURL(t, c, name, "PRESENCED_REDIS", env["PRESENCED_REDIS"], "redis")
		if shared == nil {
			shared = env
		}
		for _, k := range []string{"PRESENCED_DB", "PRESENCED_REDIS", "PRESENCED_JWT_SECRET", "PRESENCED_REDIS_CHANNEL", "PRESENCED_REDIS_PREFIX"} {
			if env[k] != shared[k] {
				t.Errorf("compose.yaml: %s and %s differ in %s: the nodes of one deployment must share it", presencedSvcs[0], name, k)
			}
		}

		// The port: published once, onto the port the binary listens on.
		port := portOf(t, effectiveAddr(flags, args, env, img.Env))
		if port != defaultPort {
			t.Errorf("compose.yaml: %s listens on %s; the binary's default -addr is %s", name, port, flags["addr"].Default)
		}
		if len(svc.Ports) != 1 || svc.Ports[0].Target != port || svc.Ports[0].Published == "" {
			t.Errorf("compose.yaml: %s publishes %+v; want one HOST:%s mapping", name, svc.Ports, port)
		}
	}
	for name, svc := range c.Services {
		for _, p := range svc.Ports {
			if other, dup := published[p.Published]; dup && p.Published != "" {
				t.Errorf("compose.yaml: %s and %s both publish host port %s", other, name, p.Published)
			}
			published[p.Published] = name
		}
	}

	// Prometheus reads deploy/prometheus.yml.
	mounted := false
	for _, v := range c.Services["prometheus"].Volumes {
		src, dst, _ := strings.Cut(v, ":")
		dst, _, _ = strings.Cut(dst, ":")
		if dst == "/etc/prometheus/prometheus.yml" {
			mounted = true
			if _, err := os.Stat(filepath.Join(".", src)); err != nil || filepath.Clean(src) != "prometheus.yml" {
				t.Errorf("compose.yaml: prometheus mounts %q; want ./prometheus.yml (this folder): %v", src, err)
			}
		}
	}
	if !mounted {
		t.Error("compose.yaml: prometheus does not mount ./prometheus.yml at /etc/prometheus/prometheus.yml")
	}
}

// checkServiceURL checks that a URL setting points at a compose service of the right
// kind, and for PostgreSQL that the credentials match the ones the service creates.
func checkServiceURL(t *testing.T, c composeFile, node, key, raw, svcName string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Errorf("compose.yaml: %s: %s=%q is not a URL: %v", node, key, raw, err)
		return
	}
	if u.Hostname() != svcName {
		t.Errorf("compose.yaml: %s: %s points at host %q; want the %s service", node, key, u.Hostname(), svcName)
		return
	}
	svc := c.Services[svcName]
	switch svcName {
	case "postgres":
		if u.Scheme != "postgres" && u.Scheme != "postgresql" {
			t.Errorf("compose.yaml: %s: %s scheme %q; want postgres://", node, key, u.Scheme)
		}
		pw, _ := u.User.Password()
		got := []string{u.User.Username(), pw, strings.TrimPrefix(u.Path, "/"), orDefault(u.Port(), "5432")}
		want := []string{orDefault(svc.Environment["POSTGRES_USER"], "postgres"), svc.Environment["POSTGRES_PASSWORD"],
			orDefault(svc.Environment["POSTGRES_DB"], orDefault(svc.Environment["POSTGRES_USER"], "postgres")), "5432"}
		if !slices.Equal(got, want) {
			t.Errorf("compose.yaml: %s: %s has user, password, database, port %q; the postgres service creates %q", node, key, got, want)
		}
	case "redis":
		if u.Scheme != "redis" || orDefault(u.Port(), "6379") != "6379" {
			t.Errorf("compose.yaml: %s: %s=%q; want redis://redis:6379/<db>", node, key, raw)
		}
	}
}

// ---- prometheus.yml ------------------------------------------------------------------

func TestPrometheusTargets(t *testing.T) {
	flags := helpFlags(t)
	c := loadCompose(t)
	img := finalImage(t)
	data, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			MetricsPath    string `yaml:"metrics_path"`
			ScrapeInterval string `yaml:"scrape_interval"`
			StaticConfigs  []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(false)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("prometheus.yml is not valid: %v", err)
	}
	scraped := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		if p := orDefault(sc.MetricsPath, "/metrics"); p != "/metrics" {
			t.Errorf("prometheus.yml: job %s scrapes %s; presenced serves /metrics", sc.JobName, p)
		}
		if iv := orDefault(sc.ScrapeInterval, orDefault(cfg.Global.ScrapeInterval, "1m")); iv != "5s" {
			t.Errorf("prometheus.yml: job %s scrapes every %s; want 5s", sc.JobName, iv)
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("prometheus.yml: target %q: %v", target, err)
					continue
				}
				svc, ok := c.Services[host]
				if !ok {
					t.Errorf("prometheus.yml: target %q: compose.yaml has no service %q", target, host)
					continue
				}
				if !slices.Contains(presencedSvcs, host) {
					continue
				}
				args := img.Cmd
				if svc.Command.Set {
					args = svc.Command.Args
				}
				if want := portOf(t, effectiveAddr(flags, args, svc.Environment, img.Env)); port != want {
					t.Errorf("prometheus.yml: target %q: %s listens on %s in the container", target, host, want)
				}
				scraped[host] = true
			}
		}
	}
	for _, n := range presencedSvcs {
		if !scraped[n] {
			t.Errorf("prometheus.yml: node %s is not scraped", n)
		}
	}
}

// ---- names in the docs ---------------------------------------------------------------

var envRE = regexp.MustCompile(`\bPRESENCED_[A-Z0-9_]+`)

// TestEnvNamesExist checks every PRESENCED_* name written in the deploy files, comments
// and README included, and the flags of every presenced command line in the README.
func TestEnvNamesExist(t *testing.T) {
	flags := helpFlags(t)
	suFlags := helpFlags(t, "createsuperuser")
	tw := twins(flags)
	for _, file := range []string{"Dockerfile", "compose.yaml", "prometheus.yml", "README.md"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range envRE.FindAllString(string(data), -1) {
			if _, ok := tw[name]; !ok && !extraEnv[name] {
				t.Errorf("%s: %s is not the twin of any flag of presenced -h", file, name)
			}
		}
	}

	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cmdline := range readmeCommands(string(data)) {
		// The last "presenced" word is the program (or the image, whose arguments go to
		// the program): `docker run … --name presenced … presenced -log-level debug`.
		fields := strings.Fields(cmdline)
		for i := len(fields) - 1; i >= 0; i-- {
			if f := fields[i]; path.Base(f) != "presenced" && !strings.HasPrefix(f, "presenced:") {
				continue
			}
			args := fields[i+1:]
			for j, a := range args {
				if strings.ContainsAny(a, "|;&") || a == ">" {
					args = args[:j]
					break
				}
			}
			known := flags
			if len(args) > 0 && args[0] == "createsuperuser" {
				known, args = suFlags, args[1:]
			}
			for _, fl := range flagArgs(args) {
				n++
				if _, ok := known[fl]; !ok {
					t.Errorf("README.md: %q uses -%s, which presenced does not have", cmdline, fl)
				}
			}
			break
		}
	}
	if n == 0 {
		t.Error("README.md: no presenced command line with flags found (expected the createsuperuser example)")
	}
}

// readmeCommands are the lines of the README's fenced code blocks, continuations joined.
func readmeCommands(md string) []string {
	var cmds []string
	in := false
	var cur strings.Builder
	for line := range strings.Lines(md) {
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if !in {
			continue
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmds = append(cmds, cur.String())
		cur.Reset()
	}
	return cmds
}

// ---- the dashboard against the live /metrics -----------------------------------------

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningRE = regexp.MustCompile(`presenced listening.*\baddr=(\S+)`)

// startServer runs the binary on a free port with a throwaway SQLite database and
// returns its base URL. It is stopped when the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(binary(t), "-addr", "127.0.0.1:0", "-db", "sqlite://"+filepath.Join(dir, "p.db"), "-log-format", "text")
	cmd.Env = cleanEnv()
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			select {
			case <-done:
			case <-time.After(stopTimeout):
				t.Errorf("presenced (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
			}
		}
	})

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("presenced exited before listening: %v\n%s", err, stderr.String())
		case <-deadline.C:
			t.Fatalf("presenced did not log \"presenced listening\" within %v:\n%s", startTimeout, stderr.String())
		case <-tick.C:
			if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
				addr := strings.Trim(m[1], `"`)
				if _, _, err := net.SplitHostPort(addr); err != nil {
					t.Fatalf("cannot read the address in %q: %v", m[0], err)
				}
				return "http://" + addr
			}
		}
	}
}

// labelValuesRE reads a Grafana variable query label_values(metric{…}, label).
var labelValuesRE = regexp.MustCompile(`^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([A-Za-z_]\w*)\s*\)\s*$`)

// checkExpr checks that an expression's metrics, label matchers and grouping labels
// exist on /metrics; it returns the metric names it references.
func checkExpr(t *testing.T, e *exposition, where, expr string) []string {
	t.Helper()
	refs, err := parsePromQL(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return nil
	}
	var names []string
	known := maps.Clone(targetLabels) // labels one may group by: these and the metrics' own
	for _, s := range refs.Selectors {
		if s.Name == "" {
			t.Errorf("%s: a selector without a metric name in %q", where, expr)
			continue
		}
		names = append(names, s.Name)
		if !e.has(s.Name) {
			t.Errorf("%s: metric %s is not exposed by presenced /metrics (expr %q)", where, s.Name, expr)
			continue
		}
		labels := e.labels(s.Name)
		for l := range labels {
			known[l] = true
		}
		if labels == nil {
			continue // declared, no series yet: nothing to hold the labels against
		}
		for _, m := range s.Matchers {
			if targetLabels[m.Label] || m.Label == "__name__" {
				continue
			}
			vals, ok := labels[m.Label]
			switch {
			case !ok:
				t.Errorf("%s: %s has no label %q (it has %v); expr %q", where, s.Name, m.Label, keys(labels), expr)
			case m.Op == "=" && m.Value != "$" && !vals[m.Value]:
				t.Errorf("%s: %s{%s=%q}: no such value (exposed: %v); expr %q", where, s.Name, m.Label, m.Value, keys(vals), expr)
			}
		}
	}
	for _, g := range refs.Grouping {
		if !known[g] {
			t.Errorf("%s: grouping by %q, a label none of %v carries; expr %q", where, g, names, expr)
		}
	}
	return names
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

type dashPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		Expr       string          `json:"expr"`
		RefID      string          `json:"refId"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"` // a collapsed row's panels
}

type dashboard struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	SchemaVersion int         `json:"schemaVersion"`
	Panels        []dashPanel `json:"panels"`
	Inputs        []struct {
		Name, Type, PluginID string
	} `json:"__inputs"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource json.RawMessage `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

var dsRefRE = regexp.MustCompile(`^\$\{?([A-Za-z_]\w*)\}?$`)

func TestDashboardMetricsExist(t *testing.T) {
	data, err := os.ReadFile("grafana/presenced-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("dashboard: uid %q, title %q, schemaVersion %d; want a uid, a title and schemaVersion >= 36", d.UID, d.Title, d.SchemaVersion)
	}

	// Data sources: a Prometheus datasource variable or import input.
	dsNames := map[string]bool{}
	for _, in := range d.Inputs {
		if in.Type == "datasource" && in.PluginID == "prometheus" {
			dsNames[in.Name] = true
		}
	}
	for _, v := range d.Templating.List {
		var q string
		_ = json.Unmarshal(v.Query, &q)
		if v.Type == "datasource" && q == "prometheus" {
			dsNames[v.Name] = true
		}
	}
	if len(dsNames) == 0 {
		t.Fatal("dashboard: no Prometheus data source variable (templating, type datasource) or __inputs entry")
	}
	checkDS := func(where string, raw json.RawMessage) {
		t.Helper()
		var uid string
		var obj struct{ Type, UID string }
		if err := json.Unmarshal(raw, &obj); err == nil && obj.UID != "" {
			uid = obj.UID
			if obj.Type != "" && obj.Type != "prometheus" {
				t.Errorf("%s: data source type %q; want prometheus", where, obj.Type)
			}
		} else if err := json.Unmarshal(raw, &uid); err != nil || uid == "" {
			t.Errorf("%s: no data source", where)
			return
		}
		if m := dsRefRE.FindStringSubmatch(uid); m == nil || !dsNames[m[1]] {
			t.Errorf("%s: data source %q is not one of the dashboard's Prometheus variables/inputs %v", where, uid, keys(dsNames))
		}
	}

	e := scrape(t)

	used := map[string]bool{}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if json.Unmarshal(v.Query, &q) != nil {
			var obj struct{ Query string }
			_ = json.Unmarshal(v.Query, &obj)
			q = obj.Query
		}
		where := fmt.Sprintf("dashboard variable $%s", v.Name)
		checkDS(where, v.Datasource)
		if m := labelValuesRE.FindStringSubmatch(q); m != nil {
			if m[1] != "" {
				for _, n := range checkExpr(t, e, where, m[1]) {
					if ls := e.labels(n); ls != nil && !targetLabels[m[2]] && ls[m[2]] == nil {
						t.Errorf("%s: %s has no label %q", where, n, m[2])
					}
				}
			}
		} else if q != "" {
			checkExpr(t, e, where, q)
		}
	}

	ids := map[int]string{}
	var walk func([]dashPanel)
	count := 0
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			where := fmt.Sprintf("dashboard panel %d %q", p.ID, p.Title)
			if prev, dup := ids[p.ID]; dup {
				t.Errorf("%s: id %d is also panel %q", where, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: bad gridPos %+v", where, p.GridPos)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			count++
			if p.Title == "" {
				t.Errorf("%s: no title", where)
			}
			checkDS(where, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("%s: no targets", where)
			}
			refIDs := map[string]bool{}
			for _, tg := range p.Targets {
				if refIDs[tg.RefID] {
					t.Errorf("%s: refId %q twice", where, tg.RefID)
				}
				refIDs[tg.RefID] = true
				if len(tg.Datasource) > 0 {
					checkDS(where+" target "+tg.RefID, tg.Datasource)
				}
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: target %s has no expr", where, tg.RefID)
					continue
				}
				for _, n := range checkExpr(t, e, where, tg.Expr) {
					used[n] = true
				}
			}
		}
	}
	walk(d.Panels)
	for _, n := range wantDashboardMetrics {
		if !used[n] {
			t.Errorf("dashboard: no panel uses %s", n)
		}
	}
	if !t.Failed() {
		t.Logf("dashboard: %d panels, %d metrics, all exposed by the binary", count, len(used))
	}
}

// scrape starts the binary and reads its /metrics.
func scrape(t *testing.T) *exposition {
	t.Helper()
	base := startServer(t)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	e, err := parseExposition(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	if len(e.samples) == 0 {
		t.Fatal("GET /metrics: no samples")
	}
	return e
}
