package e2e

import (
	"os/exec"
	"strings"
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

// TestSPARoomsAndContactsInChromium drives the rooms view and the contacts watchlist
// (spa/rooms.e2e.js): two users in one public room see each other live with the count, a
// leave and a closed page reach the other within offline-grace + 1 s, rooms and contacts
// are joined and watched again after a reconnect, a contact's dot follows the browser.
// It needs the server side of rooms (CONTRACT.md "Rooms and watchlists"); a binary
// without its -room-list-max flag skips it.
func TestSPARoomsAndContactsInChromium(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatal("chromium is not installed: `apt-get install -y chromium` (make test does, as root)")
	}
	if help, _ := exec.Command(binary, "-h").CombinedOutput(); !strings.Contains(string(help), "-room-list-max") {
		t.Skip("this presenced has no -room-list-max flag: the server side of rooms and watchlists is not built in")
	}
	const grace = 2 * time.Second
	s := startServer(t, "-ping-interval", time.Second.String(), "-offline-grace", grace.String())
	out := node(t, 3*time.Minute, "spa/rooms.e2e.js", "BASE_URL="+s.URL, "OFFLINE_BOUND_MS="+ms(grace+time.Second))
	t.Log(out)
}
