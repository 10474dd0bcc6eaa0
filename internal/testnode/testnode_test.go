package testnode

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

func TestVersionOK(t *testing.T) {
	for v, want := range map[string]bool{
		"v22.22.0": true, "v22.23.3": true, "v23.0.0": true, "v24.1.2": true,
		"v22.21.9": false, "v20.20.2": false, "v18.19.0": false, "": false, "v22": false, "vx.y.z": false,
	} {
		if got := versionOK(v); got != want {
			t.Errorf("versionOK(%q) = %v, want %v", v, got, want)
		}
	}
}

// The minimum here is the one web/tools/ensure-node.sh installs for.
func TestMinimumMatchesEnsureNode(t *testing.T) {
	repo, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(repo, "web", "tools", "ensure-node.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"MIN_MAJOR": minMajor, "MIN_MINOR": minMinor} {
		m := regexp.MustCompile(`(?m)^` + name + `=(\d+)$`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("ensure-node.sh sets no %s", name)
		}
		if got, _ := strconv.Atoi(string(m[1])); got != want {
			t.Errorf("ensure-node.sh has %s=%d, testnode has %d", name, got, want)
		}
	}
}
