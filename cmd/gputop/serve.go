package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"
)

// serveOptions are `gputop serve`'s own flags.
type serveOptions struct {
	listen      string
	webConfig   string
	hostname    string
	checksEvery time.Duration
}

// serveDefaultInterval: an exporter scraped every 15-30 s has no use for
// 100 ms readings; a 1 s fast tier still feeds the peaks between scrapes.
const serveDefaultInterval = time.Second

func newServeCmd(o *options, stderr io.Writer) *cobra.Command {
	so := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve this node's GPUs as Prometheus metrics (dcgm-exporter compatible, plus gputop's checks)",
		Long: `Sample the GPUs as the dashboard does and serve them over HTTP:

  /metrics   Prometheus exposition: the dcgm-exporter metric names, labels and
             units (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, ...) so existing
             Grafana dashboards work, and gputop_* metrics for the checks, the
             GPU verdicts, throttle reasons and peaks between scrapes
  /healthz   200 "ok" with the GPUs' reading states
  /snapshot  the snapshot JSON (replay it with 'gputop --replay FILE')

It listens on loopback unless --listen says otherwise. TLS and basic auth come
from an exporter-toolkit web config file (--web-config-file). A scrape never
waits for the driver: a GPU whose call hangs is served with its last good
values and gputop_gpu_health{state="stale"} 1.

serve samples every second unless --interval says otherwise (the dashboard's
100 ms is of no use at a 15 s scrape); the peaks between two scrapes still come
from every reading and from the driver's sample buffer. The full checklist
reruns every --checks-every; the live rules follow the readings.

The Hostname label is --hostname, else $NODE_NAME (set it from the Kubernetes
downward API), else the machine's host name. Metric names, labels and units:
docs/fleet.md.`,
		Example: `  gputop serve                                  # http://127.0.0.1:9400/metrics
  gputop serve --listen :9400 --web-config-file web.yml
  gputop serve --demo --hostname node-a --listen 127.0.0.1:9401`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("interval") {
				o.interval = serveDefaultInterval
			}
			return serveCmd(cmd.Context(), o, so, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&so.listen, "listen", "127.0.0.1:9400", "`HOST:PORT` to listen on (loopback by default; :9400 for every interface; port 0 picks a free one)")
	f.StringVar(&so.webConfig, "web-config-file", "", "exporter-toolkit web config `FILE` for TLS and basic auth")
	f.StringVar(&so.hostname, "hostname", "", "the Hostname label (default $NODE_NAME, else this machine's name)")
	f.DurationVar(&so.checksEvery, "checks-every", 5*time.Minute, "how often the full checklist reruns (the live rules follow every reading)")
	return cmd
}
