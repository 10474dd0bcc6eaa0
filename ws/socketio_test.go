package ws

import (
	"encoding/json"
	"testing"
	"time"
)

func TestInternTable(t *testing.T) {
	var it internTable
	a := it.get(json.RawMessage(`"ng-action"`))
	b := it.get(json.RawMessage(`"ng-action"`))
	if a != "ng-action" || b != a {
		t.Fatal(a, b)
	}
	raw := json.RawMessage(`"ng-action"`)
	if n := testing.AllocsPerRun(100, func() { it.get(raw) }); n != 0 {
		t.Errorf("interned lookup allocates %v times", n)
	}
	if s := it.get(json.RawMessage(`"a\u0062"`)); s != "ab" {
		t.Errorf("escaped name %q", s)
	}
	if s := it.get(json.RawMessage(`12`)); s != "12" {
		t.Errorf("numeric name %q", s)
	}
	for i := range 2 * maxInterned {
		it.get(json.RawMessage(`"n` + time.Duration(i).String() + `"`))
	}
	if n := len(*it.m.Load()); n > maxInterned {
		t.Errorf("intern table grew to %d", n)
	}
}
