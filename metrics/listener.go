package metrics

import "github.com/prometheus/client_golang/prometheus"

// ListenerStats is what the -max-conns listener (internal/connlimit) reports.
type ListenerStats interface {
	Open() int64
	Max() int64
	Refused() int64
	AcceptErrors() int64
}

// ListenerCollector exposes the node's TCP connection bound.
type ListenerCollector struct {
	l                          ListenerStats
	open, max, refused, errors *prometheus.Desc
}

var _ prometheus.Collector = (*ListenerCollector)(nil)

// NewListener returns a collector over l; register it with a prometheus.Registerer.
func NewListener(l ListenerStats) *ListenerCollector {
	return &ListenerCollector{
		l:       l,
		open:    desc("tcp_connections", "Open TCP connections on the main listener (HTTP keep-alive, long-polls, websockets)."),
		max:     desc("tcp_connections_max", "The -max-conns bound (0: none)."),
		refused: desc("tcp_connections_refused_total", "Connections closed at accept for being over -max-conns."),
		errors:  desc("accept_errors_total", "Failed accepts (e.g. out of file descriptors), retried with backoff."),
	}
}

// Describe implements prometheus.Collector.
func (c *ListenerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.max
	ch <- c.refused
	ch <- c.errors
}

// Collect implements prometheus.Collector.
func (c *ListenerCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(c.l.Open()))
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(max(c.l.Max(), 0)))
	ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(c.l.Refused()))
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(c.l.AcceptErrors()))
}
