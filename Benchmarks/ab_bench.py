#!/usr/bin/env python3
"""Before and after: pyftpdlib's ftpbench against two or more servers, alternating round by round, so a change to
ftpd is judged against the build without it in the same sitting (this machine's speed drifts from one hour to the
next). A server is `NAME=PATH` (an ftpd binary, such as an earlier commit's release build or one built with a
change switched off) or a peer by name (`pyftpdlib`, `pyftpdlib-atomic`).

Prints, per ftpbench figure and per server, the median and range over the rounds, the server's CPU over each bench
and in each phase, and the ratio of each server to the first (above 1 is better for throughput and time figures
alike; CPU ratios below 1 are better).

Usage: ab_bench.py before=/tmp/ftpd-before after=.build/release/ftpd [--bench concurrence] [--rounds 6]
       [--clients 200] [--size 10M]
"""
import argparse, os, shutil, statistics, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftp_bench import FTPD, PYFTPDLIB  # noqa: E402
from load_bench import PYFTPDLIB_Atomic, ftpbench, start  # noqa: E402

PEERS = {"pyftpdlib": PYFTPDLIB, "pyftpdlib-atomic": PYFTPDLIB_Atomic}


def server_class(spec):
    """`NAME=PATH` (an ftpd build) or a peer's name; returns (name, class)."""
    if "=" in spec:
        name, path = spec.split("=", 1)
        path = os.path.abspath(path)
        if not os.access(path, os.X_OK):
            sys.exit("ab_bench.py: %s is not an executable ftpd" % path)
        return name, type("FTPD_" + name, (FTPD,), {"binary": path})
    if spec not in PEERS:
        sys.exit("ab_bench.py: %r is neither NAME=PATH nor one of %s" % (spec, ", ".join(PEERS)))
    return spec, PEERS[spec]


def spread(values):
    return "%.2f (%.2f–%.2f)" % (statistics.median(values), min(values), max(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("servers", nargs="+", help="NAME=PATH of an ftpd build, or pyftpdlib / pyftpdlib-atomic")
    ap.add_argument("--bench", default="concurrence", help="transfer, concurrence, or both comma-separated")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--size", default="10M")
    args = ap.parse_args()
    if len(args.servers) < 2:
        ap.error("give at least two servers to compare")
    servers = [server_class(s) for s in args.servers]
    benches = args.bench.split(",")
    figures = {name: {} for name, _ in servers}  # name -> figure -> [values]
    units = {}
    work = tempfile.mkdtemp(prefix="ab-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        for r in range(args.rounds):
            # Each round starts with the next server, so none always runs first (cold) or right after another.
            for name, cls in servers[r % len(servers):] + servers[:r % len(servers)]:
                server = start(cls, "%s-%d" % (name, r), work)
                try:
                    for bench in benches:
                        values, u, cpu, by_phase, _ = ftpbench(server, bench, args.clients, args.size)
                        units.update(u)
                        mine = figures[name]
                        mine.setdefault("server CPU over the %s bench (s)" % bench, []).append(cpu)
                        for k, v in values.items():
                            mine.setdefault("%s (%s)" % (k, u.get(k, "")), []).append(v)
                        for k, v in by_phase.items():
                            mine.setdefault("server CPU in %s (s)" % k, []).append(v)
                    print(name, "round", r, "done", file=sys.stderr, flush=True)
                finally:
                    server.stop()
                    shutil.rmtree(server.workdir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = servers[0][0]
    names = [n for n, _ in servers]
    print("ftpbench `-b %s -n %d -s %s`, %d rounds alternating; median (range); ratio: each server against %s "
          "(above 1 is better, except for CPU, where below 1 is better):\n"
          % (args.bench, args.clients, args.size, args.rounds, first))
    print("| figure | " + " | ".join(names) + " | " + " | ".join("%s vs %s" % (n, first) for n in names[1:]) + " |")
    print("|---|" + "---|" * (2 * len(names) - 1))
    for figure in figures[first]:
        row = [figures[n].get(figure, []) for n in names]
        cells = [spread(v) if v else "-" for v in row]
        base = statistics.median(row[0]) if row[0] else 0
        ratios = []
        for v in row[1:]:
            m = statistics.median(v) if v else 0
            if not base or not m:
                ratios.append("n/a")
            elif "MB/sec" in figure or "CPU" in figure:
                ratios.append("%.2f×" % (m / base))  # throughput (more is better) and CPU (less is better) as they are
            else:
                ratios.append("%.2f×" % (base / m))  # time: inverted, so above 1 is better
        print("| %s | %s | %s |" % (figure, " | ".join(cells), " | ".join(ratios)))


if __name__ == "__main__":
    main()
