package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestOperatorPageInChromium: a staff user sees live figures at /operator that follow
// the load; a non-staff user is sent back to the online page and never sees it.
func TestOperatorPageInChromium(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatal("chromium is not installed: `apt-get install -y chromium` (make test does, as root)")
	}
	db := "sqlite://" + filepath.Join(t.TempDir(), "p.db")
	s := startServer(t, "-db", db, "-ping-interval", time.Second.String())
	superuser(t, s, "-db", db)
	out := node(t, 3*time.Minute, "spa/operator.e2e.js",
		"BASE_URL="+s.URL, "STAFF_USERNAME=admin", "STAFF_PASSWORD=correct horse battery")
	t.Log(out)
}
