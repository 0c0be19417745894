#!/usr/bin/env python3
"""files-probe.py FILE OUT [--rate R] — the site's disk reads, for the
files-impact benchmark: 4 KiB reads at random 4 KiB-aligned offsets of FILE,
with O_DIRECT so that each one goes to the device (as a site's reads of its
uploads and its database's misses do), R a second (default 100) at a fixed
schedule, until SIGTERM.  Each read's start (seconds since the epoch) and
latency (ms) go to OUT, a line each, so that the caller cuts out the window
it wants.  A read that fails stops the probe with exit status 1.

It measures only latency; it does not hold up the reads it schedules: one
that comes late is taken at once, and its wait counts (as a client's would).
"""
import mmap
import os
import random
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    rate = 100.0
    if "--rate" in args:
        i = args.index("--rate")
        rate = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2 or rate <= 0:
        sys.stderr.write(__doc__)
        return 2
    path, out = args
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    blocks = os.fstat(fd).st_size // 4096
    if blocks < 1:
        sys.stderr.write("files-probe.py: %s is smaller than 4 KiB\n" % path)
        return 1
    buf = mmap.mmap(-1, 4096)       # page-aligned, as O_DIRECT wants
    rng = random.Random(4096)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    every = 1.0 / rate
    due = time.monotonic()
    with open(out, "w", buffering=1 << 16) as f:
        while not stop:
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
                continue
            off = rng.randrange(blocks) * 4096
            wall = time.time()
            t0 = time.monotonic()
            if os.preadv(fd, [buf], off) != 4096:
                sys.stderr.write("files-probe.py: short read at %d of %s\n" % (off, path))
                return 1
            # from when it was due: a late start is the site's wait too
            ms = (time.monotonic() - min(t0, due)) * 1000.0
            f.write("%.6f %.4f\n" % (wall, ms))
            due += every
    return 0


if __name__ == "__main__":
    sys.exit(main())
