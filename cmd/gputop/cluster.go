package main

import (
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// clusterOptions are the --prometheus flags of the cluster view.
type clusterOptions struct {
	url        string
	match      string
	refresh    time.Duration
	bearerFile string
	user       string
	passFile   string
	caFile     string
	insecure   bool
	httpConfig string
}

func addClusterFlags(f *pflag.FlagSet, c *clusterOptions) {
	f.StringVar(&c.url, "prometheus", "", "show the cluster from the Prometheus server at `URL` (gputop serve or dcgm-exporter metrics)")
	f.StringVar(&c.match, "prometheus-match", "", "narrow every query with PromQL label `MATCHERS`, e.g. 'job=\"gpu\",cluster=\"a\"'")
	f.DurationVar(&c.refresh, "prometheus-refresh", 15*time.Second, "time between refreshes of the cluster view (1s to 10m)")
	f.StringVar(&c.bearerFile, "prometheus-bearer-file", "", "send the bearer token in `FILE` (e.g. a Kubernetes service account token)")
	f.StringVar(&c.user, "prometheus-user", "", "basic auth `USER` (password from --prometheus-password-file)")
	f.StringVar(&c.passFile, "prometheus-password-file", "", "basic auth password `FILE`")
	f.StringVar(&c.caFile, "prometheus-ca", "", "trust the CA certificates in `FILE` for https")
	f.BoolVar(&c.insecure, "prometheus-insecure", false, "skip TLS certificate verification (not recommended)")
	f.StringVar(&c.httpConfig, "prometheus-config", "", "Prometheus HTTP client config `FILE` (authorization, basic_auth, oauth2, tls_config, proxy_url)")
}

func (c *clusterOptions) validate(o *options) error {
	if c.url == "" {
		for _, set := range []bool{c.match != "", c.bearerFile != "", c.user != "", c.passFile != "", c.caFile != "", c.insecure, c.httpConfig != ""} {
			if set {
				return usageError("the --prometheus-* flags need --prometheus URL")
			}
		}
		return nil
	}
	if o.demo || o.replay != "" {
		return usageError("--prometheus cannot be used with --demo or --replay")
	}
	if c.refresh < time.Second || c.refresh > 10*time.Minute {
		return usageError("--prometheus-refresh %v: want 1s to 10m", c.refresh)
	}
	if c.user == "" && c.passFile != "" {
		return usageError("--prometheus-password-file needs --prometheus-user")
	}
	if strings.ContainsAny(c.match, "{}") {
		return usageError("--prometheus-match %q: give the matchers without braces, e.g. job=\"gpu\"", c.match)
	}
	return nil
}
