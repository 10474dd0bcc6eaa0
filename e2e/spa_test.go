package e2e

import (
	"os/exec"
	"testing"
	"time"
)

// TestSPAInChromium drives the embedded single-page app in Debian's chromium through
// playwright-core: two users see each other live, a reload is invisible to the other,
// a closed page leaves within offline-grace + 1 s, logout returns to the form.
// Screenshots land in e2e/artifacts.
func TestSPAInChromium(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatal("chromium is not installed: `apt-get install -y chromium` (make test does, as root)")
	}
	const ping, grace = time.Second, 2 * time.Second
	s := startServer(t, "-ping-interval", ping.String(), "-offline-grace", grace.String())
	out := node(t, 3*time.Minute, "spa/presence.e2e.js",
		"BASE_URL="+s.URL, "PING_INTERVAL_MS="+ms(ping), "OFFLINE_BOUND_MS="+ms(grace+time.Second))
	t.Log(out)
}
