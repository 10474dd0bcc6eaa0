package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

var compressible = map[string]bool{
	".js": true, ".mjs": true, ".css": true, ".html": true, ".svg": true, ".json": true,
	".txt": true, ".map": true, ".webmanifest": true, ".xml": true,
}

func TestDistHasIndexAndAssets(t *testing.T) {
	d := Dist()
	index, err := fs.ReadFile(d, "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	if !bytes.Contains(index, []byte("<app-root")) {
		t.Fatalf("index.html has no <app-root>: not the Angular build")
	}
	// Every script and stylesheet index.html references is embedded.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+\.(?:js|css))"`).FindAllSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d js/css files, want at least 2", len(refs))
	}
	for _, m := range refs {
		name := string(m[1])
		if strings.Contains(name, "//") {
			t.Errorf("index.html loads %s from another origin (no network at run time)", name)
			continue
		}
		if _, err := fs.Stat(d, strings.TrimPrefix(name, "/")); err != nil {
			t.Errorf("index.html references %s: %v", name, err)
		}
	}
}

func TestDistGzipSiblings(t *testing.T) {
	d := Dist()
	n := 0
	err := fs.WalkDir(d, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !compressible[path.Ext(p)] {
			return err
		}
		n++
		raw, err := fs.ReadFile(d, p)
		if err != nil {
			return err
		}
		gz, err := fs.ReadFile(d, p+".gz")
		if err != nil {
			t.Errorf("%s has no .gz sibling (run npm run build in web/)", p)
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Errorf("%s.gz: %v", p, err)
			return nil
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s.gz does not decompress to %s (stale build?)", p, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no compressible files in dist")
	}
}
