package main

import (
	"slices"
	"testing"
)

func TestTopField(t *testing.T) {
	obj := []byte(` {"message":"p\"ts\":9","nested":{"ts":7,"a":[1,{"ts":8}]},"seq":12 , "ts":1764100000123,"s":"x"}`)
	tests := []struct {
		key  string
		want string
	}{
		{"ts", "1764100000123"},
		{"seq", "12"},
		{"message", `"p\"ts\":9"`},
		{"nested", `{"ts":7,"a":[1,{"ts":8}]}`},
		{"s", `"x"`},
		{"absent", ""},
	}
	for _, tt := range tests {
		if got := string(topField(obj, tt.key)); got != tt.want {
			t.Errorf("topField(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if topField([]byte(`[1,2]`), "ts") != nil {
		t.Error("topField of an array")
	}
}

func TestIntAndStringFields(t *testing.T) {
	obj := []byte(`{"version":41,"count":200,"neg":-3,"code":"rate_limited","joined":[{"id":1,"left":[9]}],"left":[5,17,-2],"users":[]}`)
	if v, ok := intField(obj, "version"); !ok || v != 41 {
		t.Errorf("version = %d, %v", v, ok)
	}
	if v, ok := intField(obj, "neg"); !ok || v != -3 {
		t.Errorf("neg = %d, %v", v, ok)
	}
	if _, ok := intField(obj, "code"); ok {
		t.Error("a string read as an int")
	}
	if s, ok := stringField(obj, "code"); !ok || s != "rate_limited" {
		t.Errorf("code = %q, %v", s, ok)
	}
	var left []int64
	if !eachInt(obj, "left", func(v int64) { left = append(left, v) }) || !slices.Equal(left, []int64{5, 17, -2}) {
		t.Errorf("left = %v", left)
	}
	left = nil
	if !eachInt([]byte(`{"left":[]}`), "left", func(v int64) { left = append(left, v) }) || len(left) != 0 {
		t.Errorf("empty left = %v", left)
	}
}

func BenchmarkPingFields(b *testing.B) {
	obj := []byte(`{"message":"ping","seq":123456,"ts":1764100000123}`)
	for b.Loop() {
		if _, ok := intField(obj, "ts"); !ok {
			b.Fatal("no ts")
		}
	}
}

func TestEachElem(t *testing.T) {
	tests := []struct {
		obj    string
		key    string
		want   []string
		wantOK bool
	}{
		{`{"joined":[{"id":1,"u":"a,b]"},{"id":22}],"left":[3]}`, "joined", []string{`{"id":1,"u":"a,b]"}`, `{"id":22}`}, true},
		{`{"users":[ {"id":5,"online":false} , {"id":6,"online":true} ]}`, "users", []string{`{"id":5,"online":false}`, `{"id":6,"online":true}`}, true},
		{`{"joined":[]}`, "joined", nil, true},
		{`{"joined":[ ]}`, "joined", nil, true},
		{`{"left":[1,2]}`, "left", []string{"1", "2"}, true},
		{`{"joined":{"id":1}}`, "joined", nil, false},
		{`{"x":1}`, "joined", nil, false},
	}
	for _, tt := range tests {
		var got []string
		ok := eachElem([]byte(tt.obj), tt.key, func(e []byte) { got = append(got, string(e)) })
		if ok != tt.wantOK || !slices.Equal(got, tt.want) {
			t.Errorf("eachElem(%s, %s) = %q, %v", tt.obj, tt.key, got, ok)
		}
	}
}

func TestBoolField(t *testing.T) {
	obj := []byte(`{"ok":true,"online":false,"n":1,"s":"true"}`)
	for _, tt := range []struct {
		key     string
		val, ok bool
	}{{"ok", true, true}, {"online", false, true}, {"n", false, false}, {"s", false, false}, {"absent", false, false}} {
		if v, ok := boolField(obj, tt.key); v != tt.val || ok != tt.ok {
			t.Errorf("boolField(%s) = %v, %v", tt.key, v, ok)
		}
	}
}
