#!/usr/bin/env python3
"""measure.py RUNS COMMAND...: runs COMMAND RUNS times (stdout discarded) and prints
the median wall time in ms and the largest peak RSS in MB of the runs (os.wait4)."""
import os, statistics, subprocess, sys, time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
walls, rss = [], []
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    walls.append((time.perf_counter() - t0) * 1000)
    rss.append(usage.ru_maxrss / 1024)
    if os.waitstatus_to_exitcode(status) not in (0,):
        sys.exit(f"measure.py: {' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
print(f"{statistics.median(walls):.0f} ms, {max(rss):.0f} MB")
