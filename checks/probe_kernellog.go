package checks

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// maxKernelLogBytes bounds the kernel log kept for parsing: the newest part
// wins. journalctl is asked for at most kernelLogLines lines; both commands
// run under Env's command timeout.
const (
	maxKernelLogBytes = 4 << 20
	kernelLogLines    = 50000
	maxKernelNotes    = 20
	maxKernelXids     = 200
)

// xidLineRE matches the driver's Xid line, with or without "PCI:" and a
// function number:
//
//	NVRM: Xid (PCI:0000:18:00): 79, pid=..., GPU has fallen off the bus.
//	NVRM: Xid (0000:01:00): 3, C 00000005 ...
var xidLineRE = regexp.MustCompile(`NVRM: Xid \((?:PCI:)?([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}(?:\.[0-7])?)[^)]*\):\s*(\d+),?\s*(.*)$`)

// uptimeRE reads the kernel timestamp "[ 1234.567890]".
var uptimeRE = regexp.MustCompile(`^\[\s*(\d+\.\d+)\]`)

// kernelNoteREs are lines that explain why the driver did not load or did
// not take a GPU.
var kernelNoteREs = []*regexp.Regexp{
	regexp.MustCompile(`(?i)nvidia.*module verification failed`),
	regexp.MustCompile(`(?i)key was rejected by service`),
	regexp.MustCompile(`(?i)(loading of unsigned module is rejected|lockdown:.*unsigned module)`),
	regexp.MustCompile(`(?i)NVRM:.*requires use of the NVIDIA open kernel modules`),
	regexp.MustCompile(`(?i)NVRM: API mismatch`),
	regexp.MustCompile(`(?i)NVRM:.*RmInitAdapter failed`),
	regexp.MustCompile(`(?i)NVRM:.*(is not supported by|supported through the NVIDIA .* legacy)`),
	regexp.MustCompile(`(?i)NVRM: No NVIDIA (GPU|devices) found`),
	regexp.MustCompile(`(?i)NVRM:.*PCI I/O region assigned to your NVIDIA device is invalid`),
	regexp.MustCompile(`(?i)NVRM:.*BAR\d+ is 0M`),
	regexp.MustCompile(`(?i)nvidia.*(disagrees about version of symbol|unknown symbol)`),
	regexp.MustCompile(`(?i)BAR \d+:? .*(no space for|failed to assign|can't assign)`),
	regexp.MustCompile(`(?i)NVRM:.*GPU .*has fallen off the bus`),
	regexp.MustCompile(`(?i)NVRM:.*insufficient power`),
}

// probeKernelLog reads the kernel log through dmesg, or journalctl -k when
// dmesg is refused (dmesg_restrict), and keeps the NVIDIA lines that
// matter. An unreadable log is recorded, not an error.
func probeKernelLog(ctx context.Context, env Env) model.KernelLogFacts {
	var kl model.KernelLogFacts
	var errs []string
	try := func(source, name string, args ...string) bool {
		p, err := env.lookPath(name)
		if err != nil {
			errs = append(errs, name+": not found")
			return false
		}
		out, err := env.run(ctx, env.hostResolved(p), args...)
		if err != nil {
			msg := strings.TrimSpace(string(out))
			if msg == "" {
				msg = err.Error()
			}
			errs = append(errs, source+": "+bounded(msg, 120))
			return false
		}
		parseKernelLog(&kl, out)
		kl.Read, kl.Source = true, source
		return true
	}
	if !try("dmesg", "dmesg") {
		try("journalctl -k", "journalctl", "-k", "-b", "--no-pager", "-o", "short-monotonic", "-n", strconv.Itoa(kernelLogLines))
	}
	if !kl.Read {
		kl.Error = strings.Join(errs, "; ")
	}
	return kl
}

// parseKernelLog keeps the newest maxKernelLogBytes of out and collects
// Xid lines and notes from it.
func parseKernelLog(kl *model.KernelLogFacts, out []byte) {
	if len(out) > maxKernelLogBytes {
		out = out[len(out)-maxKernelLogBytes:]
		kl.Truncated = true
		if i := strings.IndexByte(string(out[:min(len(out), 4096)]), '\n'); i >= 0 {
			out = out[i+1:] // drop the partial first line
		}
	}
	kl.Bytes = len(out)
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "NVRM") && !strings.Contains(line, "nvidia") && !strings.Contains(line, "BAR") &&
			!strings.Contains(line, "Key was rejected") && !strings.Contains(line, "unsigned module") {
			continue
		}
		line = strings.TrimSpace(line)
		up := -1.0
		if m := uptimeRE.FindStringSubmatch(line); m != nil {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				up = v
			}
		}
		if m := xidLineRE.FindStringSubmatch(line); m != nil {
			n, err := strconv.Atoi(m[2])
			if err == nil && len(kl.Xids) < maxKernelXids {
				kl.Xids = append(kl.Xids, model.KernelXid{BDF: strings.ToLower(m[1]), Xid: n, Text: bounded(m[3], 200), Uptime: up})
			}
			continue
		}
		for _, re := range kernelNoteREs {
			if re.MatchString(line) {
				kl.Notes = append(kl.Notes, bounded(line, 300))
				if len(kl.Notes) > maxKernelNotes {
					kl.Notes = kl.Notes[1:]
				}
				break
			}
		}
	}
}
