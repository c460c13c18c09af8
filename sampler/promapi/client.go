// Package promapi reads GPU metrics from a Prometheus server's HTTP API
// (/api/v1/query, /api/v1/query_range, /api/v1/labels) and builds the
// cluster view's data: nodes, their GPUs, exporters down or stale, vanished
// GPUs, Xids, version skew and failing checks. It works from gputop serve's
// metrics and from plain dcgm-exporter metrics; label spellings are
// discovered, not assumed.
//
// The client is small on purpose (the official Go query client is marked
// experimental); HTTP, TLS and authentication come from
// github.com/prometheus/common/config, the same code Prometheus itself uses
// to reach its targets.
package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/config"
	pmodel "github.com/prometheus/common/model"
)

// Config says how to reach the server.
type Config struct {
	// URL is the server's base URL; a path prefix is kept, so a Kubernetes
	// API-server proxy URL (https://API/api/v1/namespaces/NS/services/
	// prometheus-k8s:web/proxy/) works. user:password@ in the URL is basic
	// auth.
	URL string
	// HTTPConfigFile is a Prometheus HTTP client config file (the YAML of a
	// scrape config's authorization, basic_auth, oauth2, tls_config,
	// proxy_url...). The flags below are applied on top of it.
	HTTPConfigFile  string
	BearerTokenFile string
	BasicUser       string
	BasicPassFile   string
	CAFile          string
	Insecure        bool          // skip TLS verification (not recommended)
	Timeout         time.Duration // per request (default 10 s)
}

// Client queries one Prometheus server.
type Client struct {
	base    *url.URL
	http    *http.Client
	timeout time.Duration
}

// maxBody bounds one API answer (1,000 GPUs x 17 queries are a few MB).
const maxBody = 64 << 20

// NewClient validates the configuration and builds the HTTP client.
func NewClient(c Config) (*Client, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %w", c.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("prometheus URL %q: want http:// or https://", c.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q has no host", c.URL)
	}
	var hc config.HTTPClientConfig
	if c.HTTPConfigFile != "" {
		loaded, _, err := config.LoadHTTPConfigFile(c.HTTPConfigFile)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-config %s: %w", c.HTTPConfigFile, err)
		}
		hc = *loaded
	} else {
		hc = config.DefaultHTTPClientConfig
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		hc.BasicAuth = &config.BasicAuth{Username: u.User.Username(), Password: config.Secret(pass)}
		u.User = nil
	}
	if c.BasicUser != "" {
		hc.BasicAuth = &config.BasicAuth{Username: c.BasicUser, PasswordFile: c.BasicPassFile}
	}
	if c.BearerTokenFile != "" {
		hc.Authorization = &config.Authorization{Type: "Bearer", CredentialsFile: c.BearerTokenFile}
	}
	if c.CAFile != "" {
		hc.TLSConfig.CAFile = c.CAFile
	}
	if c.Insecure {
		hc.TLSConfig.InsecureSkipVerify = true
	}
	if err := hc.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	rt, err := config.NewRoundTripperFromConfig(hc, "gputop")
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Client{base: u, http: &http.Client{Transport: rt}, timeout: timeout}, nil
}

// URL is the base URL without credentials, for display.
func (c *Client) URL() string { return c.base.String() }

// APIError is an error answer of the API or an HTTP failure.
type APIError struct {
	Status int    // HTTP status (0: no answer)
	Type   string // Prometheus errorType, e.g. bad_data
	Msg    string
}

func (e *APIError) Error() string {
	s := "prometheus"
	if e.Status != 0 {
		s += " HTTP " + strconv.Itoa(e.Status)
	}
	if e.Type != "" {
		s += " " + e.Type
	}
	return s + ": " + e.Msg
}

// apiResponse is the API's envelope; Data points at the caller's value so
// the answer is decoded in one pass (at 1,000 GPUs decoding is most of a
// refresh's cost).
type apiResponse struct {
	Status    string   `json:"status"`
	Data      any      `json:"data"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
}

func (c *Client) get(ctx context.Context, path string, params url.Values, into any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base.JoinPath(path)
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is known; keep the reason
		}
		return &APIError{Msg: oneLine(err.Error())}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return &APIError{Status: resp.StatusCode, Msg: "reading the answer: " + oneLine(err.Error())}
	}
	if len(body) > maxBody {
		return &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf("answer larger than %d MiB", maxBody>>20)}
	}
	ar := apiResponse{Data: into}
	jerr := json.Unmarshal(body, &ar)
	if ar.Status == "success" && jerr != nil {
		return &APIError{Status: resp.StatusCode, Msg: "decoding: " + oneLine(jerr.Error())}
	}
	if jerr != nil || ar.Status == "" {
		msg := "not a Prometheus API answer"
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			msg = "not authorised: give a bearer token, basic auth or a client certificate"
		case http.StatusNotFound:
			msg = "no Prometheus API at " + c.URL() + " (for a Kubernetes service proxy, end the URL with /proxy/)"
		}
		if resp.StatusCode/100 == 2 {
			msg += " (is " + c.URL() + " a Prometheus server?)"
		}
		return &APIError{Status: resp.StatusCode, Msg: msg}
	}
	if ar.Status != "success" {
		return &APIError{Status: resp.StatusCode, Type: ar.ErrorType, Msg: oneLine(ar.Error)}
	}
	return nil
}

// Query evaluates an instant query at t; the result must be a vector.
func (c *Client) Query(ctx context.Context, expr string, t time.Time) (pmodel.Vector, error) {
	var d struct {
		ResultType string        `json:"resultType"`
		Result     pmodel.Vector `json:"result"`
	}
	p := url.Values{"query": {expr}, "time": {formatTime(t)}}
	if err := c.get(ctx, "api/v1/query", p, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "vector" {
		return nil, &APIError{Msg: fmt.Sprintf("query %q returned a %s, want a vector", expr, d.ResultType)}
	}
	return d.Result, nil
}

// QueryRange evaluates a range query.
func (c *Client) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (pmodel.Matrix, error) {
	var d struct {
		ResultType string        `json:"resultType"`
		Result     pmodel.Matrix `json:"result"`
	}
	p := url.Values{"query": {expr}, "start": {formatTime(start)}, "end": {formatTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	if err := c.get(ctx, "api/v1/query_range", p, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "matrix" {
		return nil, &APIError{Msg: fmt.Sprintf("range query %q returned a %s, want a matrix", expr, d.ResultType)}
	}
	return d.Result, nil
}

// LabelNames lists the label names of the series matching match in
// [start, end].
func (c *Client) LabelNames(ctx context.Context, match string, start, end time.Time) ([]string, error) {
	var names []string
	p := url.Values{"match[]": {match}, "start": {formatTime(start)}, "end": {formatTime(end)}}
	if err := c.get(ctx, "api/v1/labels", p, &names); err != nil {
		return nil, err
	}
	return names, nil
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// oneLine keeps an error message on one line, short and free of control
// characters: errors quote the server's words and are shown in a terminal.
func oneLine(s string) string {
	return cleanN(strings.Join(strings.Fields(s), " "), 300)
}

// IsAuth reports whether err is an authorisation failure.
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)
}

// Target is one scrape target as /api/v1/targets reports it.
type Target struct {
	Job            string
	Instance       string
	Health         string // up, down, unknown
	LastError      string
	ScrapeInterval time.Duration
}

// Targets lists the active scrape targets. Servers that do not scrape
// (Thanos Query, Mimir) have no such endpoint: the error says so and the
// caller falls back to `up`.
func (c *Client) Targets(ctx context.Context) ([]Target, error) {
	var d struct {
		Active []struct {
			Labels         map[string]string `json:"labels"`
			Health         string            `json:"health"`
			LastError      string            `json:"lastError"`
			ScrapeInterval string            `json:"scrapeInterval"`
		} `json:"activeTargets"`
	}
	if err := c.get(ctx, "api/v1/targets", url.Values{"state": {"active"}}, &d); err != nil {
		return nil, err
	}
	out := make([]Target, 0, len(d.Active))
	for _, a := range d.Active {
		t := Target{Job: a.Labels["job"], Instance: a.Labels["instance"], Health: a.Health, LastError: oneLine(a.LastError)}
		if iv, err := pmodel.ParseDuration(a.ScrapeInterval); err == nil {
			t.ScrapeInterval = time.Duration(iv)
		}
		out = append(out, t)
	}
	return out, nil
}
