package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzJSONScan: the hand-written scanner agrees with encoding/json.
func FuzzJSONScan(f *testing.F) {
	for _, s := range []string{`0`, `-1.5e-3`, `"a\"\u00e9"`, `[1,[2,{"a":null}]]`, `{"a":true,"b":false}`, ` [ ] `, `[1,]`, `{"a"}`, `01`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= MaxDepth {
			return // deeper nesting than ours is possible; json allows 10000
		}
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
		elems, err := SplitArray(b, nil)
		var ref []json.RawMessage
		refErr := json.Unmarshal(b, &ref)
		// json.Unmarshal takes null as an empty slice; an array it decodes is never nil.
		refArray := refErr == nil && ref != nil
		if (err == nil) != refArray {
			t.Fatalf("SplitArray(%q) err %v, json.Unmarshal err %v (array: %v)", b, err, refErr, refArray)
		}
		if err == nil {
			if len(elems) != len(ref) {
				t.Fatalf("%q: %d elements, json says %d", b, len(elems), len(ref))
			}
			for i := range elems {
				if !bytes.Equal(elems[i], ref[i]) {
					t.Fatalf("%q element %d: %q, json says %q", b, i, elems[i], ref[i])
				}
			}
		}
	})
}
