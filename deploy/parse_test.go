package deploy

// The small readers the checks need: Dockerfile instructions, .dockerignore patterns,
// the Prometheus text format and enough PromQL to find metric names and labels. They
// are tested here too, so that a check cannot pass by reading nothing.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ---- Dockerfile ---------------------------------------------------------------------

type instruction struct {
	Cmd  string // upper case
	Args string
	Line int
}

type stage struct {
	From, Name, Platform string
	Instr                []instruction
}

// parseDockerfile splits a Dockerfile into stages of instructions (continuations joined,
// comments dropped). Instructions before the first FROM (ARG) are ignored.
func parseDockerfile(t *testing.T, file string) []stage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var cur strings.Builder
	start := 0
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start}
		if in.Cmd == "FROM" {
			st := stage{}
			fields := strings.Fields(in.Args)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				if v, ok := strings.CutPrefix(fields[0], "--platform="); ok {
					st.Platform = v
				}
				fields = fields[1:]
			}
			if len(fields) == 0 {
				t.Fatalf("%s:%d: FROM without an image", file, start)
			}
			st.From = fields[0]
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.Name = fields[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].Instr = append(stages[len(stages)-1].Instr, in)
		}
	}
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment (or parser directive), also inside a continuation
		}
		if cur.Len() == 0 {
			if trimmed == "" {
				continue
			}
			start = i + 1
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t\r"), `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// execForm parses a JSON exec-form argument list (["a", "b"]).
func execForm(args string) ([]string, bool) {
	var list []string
	if err := json.Unmarshal([]byte(args), &list); err != nil {
		return nil, false
	}
	return list, true
}

// envPairs parses the arguments of ENV: K=V K2="v 2" …, or the legacy "K V".
func envPairs(args string) (map[string]string, error) {
	m := map[string]string{}
	first, rest, _ := strings.Cut(args, " ")
	if !strings.Contains(first, "=") {
		m[first] = strings.TrimSpace(rest)
		return m, nil
	}
	for s := strings.TrimSpace(args); s != ""; s = strings.TrimSpace(s) {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("ENV %q: %q has no =", args, s)
		}
		s = v
		if strings.HasPrefix(v, `"`) {
			end := 1
			for end < len(v) && v[end] != '"' {
				if v[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(v) {
				return nil, fmt.Errorf("ENV %q: unterminated quote", args)
			}
			uq, err := strconv.Unquote(v[:end+1])
			if err != nil {
				return nil, fmt.Errorf("ENV %q: %v", args, err)
			}
			m[k], s = uq, v[end+1:]
			continue
		}
		val, more, _ := strings.Cut(v, " ")
		m[k], s = val, more
	}
	return m, nil
}

// ---- .dockerignore ------------------------------------------------------------------

// ignoreRule is one line of a .dockerignore: a pattern, or an exception (!pattern).
type ignoreRule struct {
	re        *regexp.Regexp
	exception bool
	text      string
}

// parseDockerignore reads a .dockerignore with the semantics of moby/patternmatcher:
// paths relative to the context root, * and ? stop at /, ** matches any number of
// directories, a later line wins, and a pattern that matches a directory excludes
// everything below it.
func parseDockerignore(data string) ([]ignoreRule, error) {
	var rules []ignoreRule
	for line := range strings.Lines(data) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{text: line}
		if p, ok := strings.CutPrefix(line, "!"); ok {
			r.exception, line = true, strings.TrimSpace(p)
		}
		line = strings.TrimPrefix(path.Clean("/"+line), "/")
		var b strings.Builder
		b.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; c {
			case '*':
				if i+1 < len(line) && line[i+1] == '*' {
					i++
					if i+1 < len(line) && line[i+1] == '/' {
						i++
						b.WriteString("(?:.*/)?")
					} else {
						b.WriteString(".*")
					}
				} else {
					b.WriteString("[^/]*")
				}
			case '?':
				b.WriteString("[^/]")
			case '\\':
				if i+1 < len(line) {
					i++
					b.WriteString(regexp.QuoteMeta(line[i : i+1]))
				}
			case '[':
				end := strings.IndexByte(line[i:], ']')
				if end < 0 {
					return nil, fmt.Errorf("%q: unterminated [", r.text)
				}
				class := line[i+1 : i+end]
				if strings.HasPrefix(class, "^") || strings.HasPrefix(class, "!") {
					class = "^" + class[1:]
				}
				b.WriteString("[" + class + "]")
				i += end
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		b.WriteString("$")
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, fmt.Errorf("%q: %v", r.text, err)
		}
		r.re = re
		rules = append(rules, r)
	}
	return rules, nil
}

// ignored reports whether a context-relative path is left out of the build context,
// and by which rule.
func ignored(rules []ignoreRule, file string) (bool, string) {
	file = path.Clean(file)
	var parents []string
	for d := path.Dir(file); d != "."; d = path.Dir(d) {
		parents = append(parents, d)
	}
	excluded, by := false, ""
	for _, r := range rules {
		match := r.re.MatchString(file)
		for _, p := range parents {
			match = match || r.re.MatchString(p)
		}
		if match {
			excluded, by = !r.exception, r.text
		}
	}
	return excluded, by
}

// ---- Prometheus text format ---------------------------------------------------------

// exposition is what /metrics exposes: sample names with their label names and values,
// and the declared type of each family.
type exposition struct {
	types   map[string]string
	samples map[string]map[string]map[string]bool // sample name → label → values
}

func parseExposition(r io.Reader) (*exposition, error) {
	e := &exposition{types: map[string]string{}, samples: map[string]map[string]map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			if len(f) == 2 {
				e.types[f[0]] = f[1]
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end <= 0 {
			return nil, fmt.Errorf("bad sample line %q", line)
		}
		name := line[:end]
		labels := e.samples[name]
		if labels == nil {
			labels = map[string]map[string]bool{}
			e.samples[name] = labels
		}
		if line[end] != '{' {
			continue
		}
		s := line[end+1:]
		for {
			s = strings.TrimLeft(s, " ,")
			if strings.HasPrefix(s, "}") {
				break
			}
			k, v, ok := strings.Cut(s, `="`)
			if !ok {
				return nil, fmt.Errorf("bad labels in %q", line)
			}
			var val strings.Builder
			i := 0
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
					switch v[i] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(v[i])
					}
					continue
				}
				val.WriteByte(v[i])
			}
			if i >= len(v) {
				return nil, fmt.Errorf("unterminated label value in %q", line)
			}
			k = strings.TrimSpace(k)
			if labels[k] == nil {
				labels[k] = map[string]bool{}
			}
			labels[k][val.String()] = true
			s = v[i+1:]
		}
	}
	return e, sc.Err()
}

// has reports whether a series name is exposed; foo_bucket, foo_sum and foo_count count
// when the histogram (or, for _sum and _count, the summary) foo is.
func (e *exposition) has(name string) bool {
	if _, ok := e.samples[name]; ok {
		return true
	}
	if _, ok := e.types[name]; ok {
		return true
	}
	for suffix, kinds := range map[string][]string{"_bucket": {"histogram"}, "_sum": {"histogram", "summary"}, "_count": {"histogram", "summary"}} {
		if base, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(kinds, e.types[base]) {
			return true
		}
	}
	return false
}

// labels are the label names and values exposed for a series name (nil when none
// was sampled, e.g. a histogram declared but not observed).
func (e *exposition) labels(name string) map[string]map[string]bool {
	return e.samples[name]
}

// ---- PromQL -------------------------------------------------------------------------

type promMatcher struct{ Label, Op, Value string }

type promSelector struct {
	Name     string
	Matchers []promMatcher
}

type promRefs struct {
	Selectors []promSelector
	Grouping  []string // labels of by(…), without(…), on(…), ignoring(…), group_left(…), group_right(…)
}

type promToken struct {
	kind string // ident, string, number, var, punct
	text string
}

var (
	promGrouping    = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	promKeywords    = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true, "inf": true, "nan": true}
	promAggregators = map[string]bool{"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
		"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true}
)

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

func lexPromQL(expr string) ([]promToken, error) {
	var toks []promToken
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			var b strings.Builder
			for ; j < len(expr) && expr[j] != c; j++ {
				if expr[j] == '\\' && c != '`' && j+1 < len(expr) {
					j++
				}
				b.WriteByte(expr[j])
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string in %q", expr)
			}
			toks = append(toks, promToken{"string", b.String()})
			i = j + 1
		case c == '$': // a Grafana variable: $name, ${name}, ${name:fmt}
			j := i + 1
			if j < len(expr) && expr[j] == '{' {
				k := strings.IndexByte(expr[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated ${ in %q", expr)
				}
				j += k + 1
			} else {
				for j < len(expr) && isIdentChar(expr[j]) {
					j++
				}
			}
			toks = append(toks, promToken{"var", expr[i:j]})
			i = j
		case c == '[': // a range or subquery: no names inside
			k := strings.IndexByte(expr[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("unterminated [ in %q", expr)
			}
			i += k + 1
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdentChar(expr[j]) {
				j++
			}
			toks = append(toks, promToken{"ident", expr[i:j]})
			i = j
		case '0' <= c && c <= '9' || c == '.':
			j := i
			for j < len(expr) && (isIdentChar(expr[j]) || expr[j] == '.') {
				j++
			}
			toks = append(toks, promToken{"number", expr[i:j]})
			i = j
		default:
			op := string(c)
			if i+1 < len(expr) {
				if two := expr[i : i+2]; slices.Contains([]string{"=~", "!~", "!=", "==", "<=", ">="}, two) {
					op = two
				}
			}
			toks = append(toks, promToken{"punct", op})
			i += len(op)
		}
	}
	return toks, nil
}

// parsePromQL finds the metric selectors and grouping labels of an expression. It is
// not a full parser; it knows enough to tell metric names from functions, keywords,
// labels, strings, durations and Grafana variables.
func parsePromQL(expr string) (promRefs, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return promRefs{}, err
	}
	var refs promRefs
	peek := func(i int) promToken {
		if i < len(toks) {
			return toks[i]
		}
		return promToken{}
	}
	matchers := func(i int) ([]promMatcher, int, error) { // toks[i] is "{"
		var ms []promMatcher
		for i++; i < len(toks); {
			if toks[i].text == "}" {
				return ms, i + 1, nil
			}
			if toks[i].text == "," {
				i++
				continue
			}
			if i+2 >= len(toks) || toks[i].kind != "ident" || toks[i+1].kind != "punct" {
				return nil, i, fmt.Errorf("bad label matcher near %q in %q", toks[i].text, expr)
			}
			m := promMatcher{Label: toks[i].text, Op: toks[i+1].text, Value: toks[i+2].text}
			if toks[i+2].kind == "var" || strings.Contains(m.Value, "$") { // Grafana interpolates it
				m.Value = "$"
			}
			ms = append(ms, m)
			i += 3
		}
		return nil, i, fmt.Errorf("unterminated { in %q", expr)
	}
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case t.kind == "ident" && promGrouping[t.text]:
			if peek(i+1).text != "(" {
				if strings.HasPrefix(t.text, "group_") {
					i++ // group_left and group_right may come without a label list
					continue
				}
				return refs, fmt.Errorf("%s without ( in %q", t.text, expr)
			}
			i += 2
			for ; i < len(toks) && toks[i].text != ")"; i++ {
				if toks[i].kind == "ident" {
					refs.Grouping = append(refs.Grouping, toks[i].text)
				}
			}
			i++
		case t.kind == "ident" && (promKeywords[t.text] || promAggregators[t.text] || peek(i+1).text == "("):
			i++ // a keyword, an aggregation or a function call
		case t.kind == "ident":
			sel := promSelector{Name: t.text}
			i++
			if peek(i).text == "{" {
				ms, next, err := matchers(i)
				if err != nil {
					return refs, err
				}
				sel.Matchers, i = ms, next
			}
			refs.Selectors = append(refs.Selectors, sel)
		case t.text == "{": // {__name__="…"}
			ms, next, err := matchers(i)
			if err != nil {
				return refs, err
			}
			sel := promSelector{Matchers: ms}
			for _, m := range ms {
				if m.Label == "__name__" && m.Op == "=" {
					sel.Name = m.Value
				}
			}
			refs.Selectors = append(refs.Selectors, sel)
			i = next
		default:
			i++
		}
	}
	return refs, nil
}

// ---- the readers read ---------------------------------------------------------------

func TestParsePromQL(t *testing.T) {
	refs, err := parsePromQL(`histogram_quantile(0.99, sum by (instance, kind, le) (rate(presenced_actor_handle_seconds_bucket{instance=~"$instance", kind="user"}[1m] offset 5m))) / on(instance) group_left go_goroutines > bool 1e-06`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range refs.Selectors {
		names = append(names, s.Name)
	}
	if want := []string{"presenced_actor_handle_seconds_bucket", "go_goroutines"}; !slices.Equal(names, want) {
		t.Errorf("selectors %q; want %q", names, want)
	}
	if want := []string{"instance", "kind", "le", "instance"}; !slices.Equal(refs.Grouping, want) {
		t.Errorf("grouping %q; want %q", refs.Grouping, want)
	}
	if m := refs.Selectors[0].Matchers; len(m) != 2 || m[1] != (promMatcher{"kind", "=", "user"}) || m[0].Value != "$" {
		t.Errorf("matchers %+v", m)
	}
	e, err := parseExposition(strings.NewReader("# TYPE h histogram\nh_bucket{le=\"1\",k=\"a\\\"b\"} 0\nh_sum 0\nh_count 0\ng 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"h_bucket", "h_sum", "h_count", "g", "h"} {
		if !e.has(n) {
			t.Errorf("exposition: %s missing", n)
		}
	}
	if e.has("h_total") || e.has("x") || !e.labels("h_bucket")["k"][`a"b`] {
		t.Errorf("exposition parse: %+v", e.samples)
	}
}

func TestDockerignoreMatcher(t *testing.T) {
	rules, err := parseDockerignore("# c\n.git\n**/node_modules\n*.md\n!README.md\ndocs/**/*.txt\n")
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{
		".git/HEAD": true, "web/node_modules/a/b.js": true, "node_modules/x": true,
		"CHANGES.md": true, "README.md": false, "web/README.md": false,
		"docs/a/b/c.txt": true, "docs/c.txt": true, "web/dist/index.html": false, "go.mod": false,
	} {
		if got, by := ignored(rules, f); got != want {
			t.Errorf("ignored(%q) = %v (by %q); want %v", f, got, by, want)
		}
	}
}
