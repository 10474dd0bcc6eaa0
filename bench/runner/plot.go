package main

import (
	"fmt"
	"math"
	"strings"
)

// plotSVG draws pongs/s (left) and server RSS (right) against N for both
// servers, from the medians of the runs: a plain SVG, no dependencies.
func plotSVG(runs []runResult) string {
	type pt struct{ x, y float64 }
	series := func(kind string, points []struct {
		key string
		n   float64
	}, fig string, scale float64) []pt {
		var out []pt
		for _, p := range points {
			if v, n, _ := medianOf(runs, p.key, kind, fig); n > 0 {
				out = append(out, pt{p.n, v * scale})
			}
		}
		return out
	}
	loaded := []struct {
		key string
		n   float64
	}{{"pongs-1k", 1000}, {"pongs-2k", 2000}, {"pongs-5k", 5000}, {"pongs-10k", 10000}}
	idle := []struct {
		key string
		n   float64
	}{{"storm-10k", 10000}, {"hold-19k", 19000}}
	quiet := []struct {
		key string
		n   float64
	}{{"idle-1k", 1000}, {"idle-10k", 10000}}

	var b strings.Builder
	const W, H = 960, 400
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	colors := map[string]string{kindPresenced: "#1f77b4", kindPeer: "#d62728"}
	type line struct {
		kind  string
		pts   []pt
		dash  string // stroke-dasharray; empty: solid
		label string
	}
	panel := func(x0 float64, title, ylabel string, lines []line) {
		const pw, ph, top = 380.0, 270.0, 50.0
		left := x0 + 70
		xmax := 20000.0
		ymax := 0.0
		for _, l := range lines {
			for _, p := range l.pts {
				ymax = math.Max(ymax, p.y)
			}
		}
		ymax = niceCeil(ymax)
		fmt.Fprintf(&b, `<text x="%.0f" y="28" font-size="14" font-weight="bold">%s</text>`+"\n", left, title)
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", left, top, pw, ph)
		for i := 0; i <= 4; i++ {
			y := top + ph - float64(i)/4*ph
			v := ymax * float64(i) / 4
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
				left, left+pw, y, y, left-6, y+4, fmtNum(v))
		}
		for _, n := range []float64{0, 5000, 10000, 15000, 20000} {
			x := left + n/xmax*pw
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x, top+ph+18, comma(int(n)))
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">bound sockets (N)</text>`+"\n", left+pw/2, top+ph+38)
		fmt.Fprintf(&b, `<text transform="translate(%.0f,%.0f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0+16, top+ph/2, ylabel)
		ly := top + 12
		for _, l := range lines {
			if len(l.pts) == 0 {
				continue
			}
			dash := ""
			if l.dash != "" {
				dash = ` stroke-dasharray="` + l.dash + `"`
			}
			var path []string
			for _, p := range l.pts {
				x, y := left+p.x/xmax*pw, top+ph-p.y/ymax*ph
				path = append(path, fmt.Sprintf("%.1f,%.1f", x, y))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", x, y, colors[l.kind])
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(path, " "), colors[l.kind], dash)
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2"%s/><text x="%.0f" y="%.0f">%s</text>`+"\n",
				left+pw-180, left+pw-160, ly, ly, colors[l.kind], dash, left+pw-154, ly+4, l.label)
			ly += 16
		}
	}
	var thr, mem []line
	for _, k := range []string{kindPresenced, kindPeer} {
		thr = append(thr, line{k, series(k, loaded, "pongs_per_s", 1), "", k})
		mem = append(mem, line{k, series(k, loaded, "rss_mb", 1), "", k + ", under load"},
			line{k, series(k, idle, "rss_mb", 1), "5,4", k + ", 2 s sweep"},
			line{k, series(k, quiet, "rss_mb", 1), "2,3", k + ", idle, 10 s sweep"})
	}
	panel(0, "Pongs per second sustained (server on one core)", "pongs/s", thr)
	panel(W/2, "Server resident memory (RSS)", "MB", mem)
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 × 10^k.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
