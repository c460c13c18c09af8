#!/usr/bin/env python3
"""Paired, side-by-side CPU and wake-up measurement of gputop builds in tmux.

Used for docs/performance.md, "Fixed cost, 2026-11-30 evening". Every
repetition starts all the given commands at once, each in its own tmux
server (200x50 unless --size), waits -w seconds, then measures -d seconds:

  CPU       sum over the process's threads of sum_exec_runtime from
            /proc/PID/task/*/schedstat (nanoseconds; utime+stime from
            /proc/PID/stat is printed too, at clock-tick resolution)
  wake-ups  sum over threads of voluntary_ctxt_switches

With --pause it then presses p, waits 2 s and measures the paused display
for -d seconds more. It prints every repetition, the medians, and with two
commands the median of the per-repetition CPU ratios (A/B): running the
builds at the same time pairs them against a machine whose load drifts.

usage: pairs.py [-r REPS] [-w WARM] [-d DUR] [--pause] [--env K=V ...] \
                "label=command ..." ["label=command ..."]
example (stand-in NVML, see sampler/nvmlbackend/standin):
  pairs.py -r 5 -d 20 --pause --env LD_LIBRARY_PATH=/tmp/standin \
    --env GPUTOP_STANDIN_GPUS=2 "new=bin/gputop --interval 1s" "old=/tmp/old --interval 1s"
"""
import argparse, os, subprocess, time, statistics, glob, shlex, sys
ap = argparse.ArgumentParser()
ap.add_argument('-r', type=int, default=3)
ap.add_argument('-w', type=float, default=4)
ap.add_argument('-d', type=float, default=20)
ap.add_argument('--pause', action='store_true')
ap.add_argument('--env', action='append', default=[])
ap.add_argument('--size', default='200x50')
ap.add_argument('progs', nargs='+')
a = ap.parse_args()
W, H = a.size.split('x')
HZ = os.sysconf('SC_CLK_TCK')
def snap(pid):
    st = open(f'/proc/{pid}/stat').read().rsplit(')',1)[1].split()
    ticks = int(st[11]) + int(st[12])
    rt = 0; vcs = 0; nthr = 0
    for t in glob.glob(f'/proc/{pid}/task/*'):
        try:
            rt += int(open(t+'/schedstat').read().split()[0])
            for l in open(t+'/status'):
                if l.startswith('voluntary_ctxt_switches'):
                    vcs += int(l.split()[1])
            nthr += 1
        except OSError: pass
    return time.monotonic(), ticks, rt, vcs, nthr
def delta(s0, s1):
    dt = s1[0]-s0[0]
    return dict(tick_pct=100*(s1[1]-s0[1])/HZ/dt, ms_s=(s1[2]-s0[2])/1e6/dt, wk=(s1[3]-s0[3])/dt, thr=s1[4])
progs = [p.split('=',1) for p in a.progs]
res = {l: {'live': [], 'paused': []} for l,_ in progs}
env = ' '.join(a.env)
for rep in range(a.r):
    socks = {}
    for i,(l,cmd) in enumerate(progs):
        sock = f'meas{os.getpid()}-{i}'
        full = (f'env {env} ' if env else '') + cmd
        subprocess.run(['tmux','-L',sock,'new-session','-d','-s','m','-x',W,'-y',H, full], check=True)
        pid = int(subprocess.check_output(['tmux','-L',sock,'display-message','-p','-t','m','#{pane_pid}']).strip())
        socks[l] = (sock, pid)
    time.sleep(a.w)
    s0 = {l: snap(p) for l,(s,p) in socks.items()}
    time.sleep(a.d)
    s1 = {l: snap(p) for l,(s,p) in socks.items()}
    for l in socks: res[l]['live'].append(delta(s0[l], s1[l]))
    if a.pause:
        for l,(s,p) in socks.items(): subprocess.run(['tmux','-L',s,'send-keys','-t','m','p'])
        time.sleep(2)
        s0 = {l: snap(p) for l,(s,p) in socks.items()}
        time.sleep(a.d)
        s1 = {l: snap(p) for l,(s,p) in socks.items()}
        for l in socks: res[l]['paused'].append(delta(s0[l], s1[l]))
    for l,(s,p) in socks.items():
        subprocess.run(['tmux','-L',s,'send-keys','-t','m','q'])
    time.sleep(1)
    for l,(s,p) in socks.items():
        subprocess.run(['tmux','-L',s,'kill-server'], stderr=subprocess.DEVNULL)
    print(f'rep {rep+1}: ' + '; '.join(f"{l} {res[l]['live'][-1]['ms_s']:.2f}ms/s {res[l]['live'][-1]['wk']:.1f}wk/s" for l in socks), file=sys.stderr, flush=True)
print(f"load {open('/proc/loadavg').read().split()[:3]}, reps {a.r}, warm {a.w}s, span {a.d}s, env [{env}]")
for mode in ('live','paused'):
    for l,_ in progs:
        rs = res[l][mode]
        if not rs: continue
        med = lambda k: statistics.median(r[k] for r in rs)
        allv = lambda k: ' '.join(f'{r[k]:.2f}' for r in rs)
        print(f"{mode:6} {l:12} CPU {med('ms_s'):.2f} ms/s (= {med('ms_s')/10:.3f} %) [{allv('ms_s')}]  ticks% {med('tick_pct'):.2f}  wake-ups {med('wk'):.1f}/s [{allv('wk')}]  threads {rs[-1]['thr']}")
    if len(progs) == 2 and res[progs[0][0]][mode]:
        A, B = res[progs[0][0]][mode], res[progs[1][0]][mode]
        rat = [x['ms_s']/y['ms_s'] for x,y in zip(A,B) if y['ms_s']>0]
        print(f"{mode:6} ratio {progs[0][0]}/{progs[1][0]} CPU median {statistics.median(rat):.2f} [{' '.join(f'{r:.2f}' for r in rat)}]")
