package host

import (
	"errors"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// Options configures a Resolver. Zero fields take the defaults named on them.
type Options struct {
	// ProcRoot is the /proc tree to read ("" = $HOST_PROC or /proc).
	ProcRoot string
	// Source reads processes (default: gopsutil over ProcRoot).
	Source ProcSource
	// LookupUser turns a UID into a name (default os/user). Its answers are
	// cached: with LDAP or NIS behind it a lookup can take a while.
	LookupUser func(uid uint32) (string, error)
	// RootDir is where container markers (/.dockerenv, /run/.containerenv)
	// are looked for, for the namespace hint's wording (default "/").
	RootDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MinCPUWindow: a process looked up again sooner than this (the same PID
	// on two GPUs, looked up by both slow goroutines) keeps its last CPU
	// percentage instead of one computed over a few microseconds
	// (default 250 ms).
	MinCPUWindow time.Duration
	// Forget: a PID no GPU has listed for this long is dropped from the
	// cache (default 30 s).
	Forget time.Duration
	// MaxEntries bounds the cache (default 4096).
	MaxEntries int
	Logger     *slog.Logger
}

func (o *Options) fill() {
	if o.Source == nil {
		o.Source = NewProcSource(o.ProcRoot)
	}
	if o.LookupUser == nil {
		o.LookupUser = lookupUser
	}
	if o.RootDir == "" {
		o.RootDir = "/"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinCPUWindow <= 0 {
		o.MinCPUWindow = 250 * time.Millisecond
	}
	if o.Forget <= 0 {
		o.Forget = 30 * time.Second
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 4096
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func lookupUser(uid uint32) (string, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// Resolver fills the host side of NVML's processes. It keeps one cache entry
// per PID, identified by the process's create time, and only ever looks up
// the PIDs it is given, so the size of the host's process table does not
// matter. It is safe for concurrent use (every GPU's slow goroutine calls
// Resolve); no file is read while its lock is held, so one process whose
// /proc entry blocks cannot stall the other GPUs' lookups of other PIDs.
type Resolver struct {
	opts Options

	mu      sync.Mutex
	cache   map[int32]*entry
	users   map[uint32]string
	foreign map[int32]*foreignPID
	// verifiedAt is when a listed PID was last seen holding a GPU device
	// here: proof that this PID namespace is the one NVML reports.
	verifiedAt time.Time
	hint       bool
}

type entry struct {
	create   int64
	desc     ProcDesc
	user     string
	gpuFiles GPUFiles
	filesAt  time.Time // when gpuFiles was decided

	cpuAt      time.Time // when cpuSeconds was read; zero before the first reading
	cpuSeconds float64
	cpuPct     model.Opt[float64]
	lastSeen   time.Time
}

// foreignPID counts the consecutive lookups of a listed PID that found no
// process here, or a process without a GPU device open.
type foreignPID struct {
	streak   int
	lastSeen time.Time
}

// foreignStreak: a PID must look foreign on this many lookups before it
// counts toward the namespace hint; one miss is an ordinary race with a
// process that exited after NVML listed it.
const foreignStreak = 2

// filesRecheck is how often a PID found without a GPU device is looked at again.
const filesRecheck = 10 * time.Second

// NewResolver returns a resolver.
func NewResolver(opts Options) *Resolver {
	opts.fill()
	return &Resolver{
		opts:    opts,
		cache:   make(map[int32]*entry),
		users:   make(map[uint32]string),
		foreign: make(map[int32]*foreignPID),
	}
}

// lookup is the result of reading one PID, gathered without the lock.
type lookup struct {
	pid     int32
	at      time.Time
	stat    ProcStat
	err     error
	fresh   bool // no cache entry with this create time: desc, files, user read
	recheck bool // the cached entry had no GPU device open: files read again
	desc    ProcDesc
	files   GPUFiles
	user    string
}

// Resolve fills Resolved, User, Name, Command, CPUPercent and RSS of each
// process in place. A PID that has no process here, or whose process holds
// no GPU device (a different process in another PID namespace), is left
// unresolved; that is not an error.
func (r *Resolver) Resolve(ps []model.Process) {
	if len(ps) == 0 {
		return
	}
	// Distinct PIDs: NVML lists a process once per context kind.
	pids := make([]int32, 0, len(ps))
	for _, p := range ps {
		pids = append(pids, int32(p.PID))
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	pids = compact(pids)

	looks := make([]lookup, len(pids))
	for i, pid := range pids {
		l := &looks[i]
		l.pid = pid
		l.stat, l.err = r.opts.Source.Stat(pid)
		l.at = r.opts.Now()
	}

	// Which processes are new to the cache (or new under an old PID)?
	r.mu.Lock()
	for i := range looks {
		l := &looks[i]
		if l.err != nil {
			continue
		}
		e, ok := r.cache[l.pid]
		l.fresh = !ok || e.create != l.stat.CreateTime
		// A process found without a GPU device may open one later (a PID
		// reused by a new job that then initialises CUDA): look again now
		// and then rather than trust the first answer forever.
		l.recheck = !l.fresh && e.gpuFiles == GPUFilesNone && l.at.Sub(e.filesAt) >= filesRecheck
	}
	r.mu.Unlock()

	for i := range looks {
		l := &looks[i]
		if l.err != nil || l.stat.Zombie && !l.fresh {
			continue
		}
		if l.recheck {
			l.files = r.opts.Source.GPUFiles(l.pid)
			continue
		}
		if !l.fresh {
			continue
		}
		d, err := r.opts.Source.Describe(l.pid)
		if err != nil {
			l.err = err
			continue
		}
		// Any local user chooses their process's name and arguments:
		// they reach the operator's terminal only through safe.Line.
		d.Name, d.Cmdline = safe.Line(d.Name), clipCmdline(safe.Line(d.Cmdline))
		l.desc = d
		if !l.stat.Zombie {
			// A zombie's file table is already gone: it proves nothing.
			l.files = r.opts.Source.GPUFiles(l.pid)
		}
		if d.UIDOK {
			l.user = r.userName(d.UID)
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	byPID := make(map[int32]*view, len(looks))
	for i := range looks {
		byPID[looks[i].pid] = r.merge(&looks[i])
	}
	for i := range ps {
		fill(&ps[i], byPID[int32(ps[i].PID)])
	}
	r.updateHint(looks)
	r.evict(r.opts.Now())
}

// maxCmdline bounds a command line kept per process (Linux allows about
// 2 MiB of arguments): far more than a screen or a report shows, and under
// the snapshot loader's limit for a string, so a snapshot of this machine
// always opens again.
const maxCmdline = 16 << 10

func clipCmdline(s string) string {
	if len(s) <= maxCmdline {
		return s
	}
	cut := maxCmdline
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func compact(s []int32) []int32 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// userName resolves a UID through the cache; the lookup itself runs
// without the lock.
func (r *Resolver) userName(uid uint32) string {
	r.mu.Lock()
	name, ok := r.users[uid]
	r.mu.Unlock()
	if ok {
		return name
	}
	name, err := r.opts.LookupUser(uid)
	name = safe.Line(name) // from /etc/passwd or a directory service
	if err != nil || name == "" {
		// Unknown to the user database (a container's UID): show the number.
		name = strconv.FormatUint(uint64(uid), 10)
	}
	r.mu.Lock()
	if len(r.users) < 1024 {
		r.users[uid] = name
	}
	r.mu.Unlock()
	return name
}

// view is what Resolve writes into a model.Process.
type view struct {
	name, command, user string
	zombie              bool
	cpu                 model.Opt[float64]
	rss                 model.Opt[uint64]
}

// merge folds one lookup into the cache and returns what to show, or nil
// when the PID stays unresolved. Called with the lock held.
func (r *Resolver) merge(l *lookup) *view {
	if l.err != nil {
		if !errors.Is(l.err, ErrNoProcess) {
			r.opts.Logger.Debug("process lookup failed", "pid", l.pid, "err", l.err)
		}
		delete(r.cache, l.pid)
		return nil
	}
	e, ok := r.cache[l.pid]
	switch {
	case l.fresh && (!ok || e.create != l.stat.CreateTime):
		// A new process, or a PID reused by one: nothing of the old carries over.
		e = &entry{create: l.stat.CreateTime, desc: l.desc, user: l.user, gpuFiles: l.files, filesAt: l.at}
		r.cache[l.pid] = e
	case !ok || e.create != l.stat.CreateTime:
		// Another goroutine replaced the entry with a different process
		// between our two looks; this lookup is stale.
		return nil
	}
	if l.recheck {
		e.gpuFiles, e.filesAt = l.files, l.at
	}
	e.lastSeen = l.at
	switch {
	case !l.stat.CPUOK || l.stat.Zombie:
		e.cpuPct = model.None[float64]()
	case e.cpuAt.IsZero():
		e.cpuAt, e.cpuSeconds = l.at, l.stat.CPUSeconds
	case l.at.Sub(e.cpuAt) >= r.opts.MinCPUWindow:
		pct := (l.stat.CPUSeconds - e.cpuSeconds) / l.at.Sub(e.cpuAt).Seconds() * 100
		e.cpuPct = model.Some(max(pct, 0))
		e.cpuAt, e.cpuSeconds = l.at, l.stat.CPUSeconds
	}
	if e.gpuFiles == GPUFilesNone {
		return nil // some other process in this namespace owns the number
	}
	v := &view{name: e.desc.Name, command: e.desc.Cmdline, user: e.user, cpu: e.cpuPct}
	if l.stat.RSSOK {
		v.rss = model.Some(l.stat.RSS)
	}
	if l.stat.Zombie {
		// Its memory is gone and maybe its command line with it: the flag
		// says what it is; the command is what it ran, when known.
		v.zombie, v.command = true, e.desc.Cmdline
		if v.name == "" {
			v.name = "<zombie>"
		}
		v.cpu, v.rss = model.None[float64](), model.None[uint64]()
	} else if v.command == "" {
		v.command = "[" + v.name + "]" // a kernel thread, as ps shows it
	}
	return v
}

func fill(p *model.Process, v *view) {
	if v == nil {
		p.Resolved, p.User, p.Name, p.Command, p.Zombie = false, "", "", "", false
		p.CPUPercent, p.RSS = model.None[float64](), model.None[uint64]()
		return
	}
	p.Resolved, p.User, p.Name, p.Command, p.Zombie = true, v.user, v.name, v.command, v.zombie
	p.CPUPercent, p.RSS = v.cpu, v.rss
}

// evict drops PIDs no GPU listed for Forget, then the oldest entries beyond
// MaxEntries. Called with the lock held.
func (r *Resolver) evict(now time.Time) {
	for pid, e := range r.cache {
		if now.Sub(e.lastSeen) > r.opts.Forget {
			delete(r.cache, pid)
		}
	}
	for pid, f := range r.foreign {
		if now.Sub(f.lastSeen) > r.opts.Forget {
			delete(r.foreign, pid)
		}
	}
	if len(r.cache) <= r.opts.MaxEntries {
		return
	}
	type aged struct {
		pid  int32
		seen time.Time
	}
	all := make([]aged, 0, len(r.cache))
	for pid, e := range r.cache {
		all = append(all, aged{pid, e.lastSeen})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seen.Before(all[j].seen) })
	for _, a := range all[:len(all)-r.opts.MaxEntries] {
		delete(r.cache, a.pid)
	}
}

// updateHint follows the evidence that NVML's PIDs are not this namespace's.
// Called with the lock held.
func (r *Resolver) updateHint(looks []lookup) {
	for i := range looks {
		l := &looks[i]
		if l.pid <= 0 {
			continue // NVML's "no PID" (0) proves nothing about namespaces
		}
		foreign := errors.Is(l.err, ErrNoProcess)
		if l.err == nil {
			e, ok := r.cache[l.pid]
			switch {
			case !ok:
			case e.gpuFiles == GPUFilesOpen:
				r.verifiedAt = l.at
			case e.gpuFiles == GPUFilesNone:
				foreign = true
			}
		}
		if !foreign {
			delete(r.foreign, l.pid)
			continue
		}
		f := r.foreign[l.pid]
		if f == nil {
			f = &foreignPID{}
			r.foreign[l.pid] = f
		}
		f.streak++
		f.lastSeen = l.at
	}
	if !r.verifiedAt.IsZero() && r.opts.Now().Sub(r.verifiedAt) <= r.opts.Forget {
		r.hint = false // a listed PID holds a GPU here: same namespace
		return
	}
	for _, f := range r.foreign {
		if f.streak >= foreignStreak {
			r.hint = true
			return
		}
	}
}

// PIDNamespaceHint reports whether the processes NVML lists cannot be
// matched to processes here because gputop runs in another PID namespace
// (a container without the host's), with the fix in words. The UI shows it
// once instead of a table of unknown processes.
func (r *Resolver) PIDNamespaceHint() (bool, string) {
	r.mu.Lock()
	on := r.hint
	r.mu.Unlock()
	if !on {
		return false, ""
	}
	msg := "GPU processes cannot be identified: NVML reports host PIDs, and gputop runs in a different PID namespace"
	if where := r.containerMarker(); where != "" {
		msg += " (a container: " + where + ")"
	}
	msg += ". Run the container with the host's PID namespace: docker run --pid=host ..., " +
		"or hostPID: true in the Kubernetes pod spec; or mount the host's /proc and set HOST_PROC to it."
	return true, msg
}

func (r *Resolver) containerMarker() string {
	for _, m := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := os.Stat(filepath.Join(r.opts.RootDir, m)); err == nil {
			return "/" + m + " exists"
		}
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return "KUBERNETES_SERVICE_HOST is set"
	}
	return ""
}
