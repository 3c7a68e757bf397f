"""The cluster path against a direct transfer, side by side in one run.

Two ftpd nodes (release builds, roots in /dev/shm). `cluster-bench` (release) uploads SIZE MiB through `Cluster`
with replicas 1 and then 2, and straight through `FTPClient` to one node, from the same in-memory source; then
downloads each way (the cluster's download checks the CRC-32C recorded at upload, and the replicas-1 file is
downloaded once more checking its SHA-256, the `--check sha256` setting). Runs alternate in order;
prints medians, the ratio to the direct transfer and the CPU seconds per GiB of the bench process and the nodes.
Target (issue 17): a replicas-1 upload and download within 1.15x of the direct time. Run through scripts/bench.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftp_bench import ROOT, cpu_seconds, stop_process, free_port, wait_port  # noqa: E402

BENCH = os.path.join(ROOT, ".build/release/cluster-bench")


def run(op, name, ports, catalog, size, replicas, node_pids, check="crc32c"):
    """One transfer; returns (seconds, CPU seconds of the bench process, CPU seconds of the nodes)."""
    before = sum(cpu_seconds(p) for p in node_pids)
    proc = subprocess.Popen([BENCH, op, name, "--nodes", ",".join(map(str, ports)), "--catalog", catalog,
                             "--replicas", str(replicas), "--size-mib", str(size), "--check", check],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("cluster-bench %s failed: %s" % (op, err.strip()))
    seconds, count = out.split()
    if op != "cluster-delete" and int(count) != size << 20:
        raise RuntimeError("cluster-bench %s moved %s bytes, not %d" % (op, count, size << 20))
    return float(seconds), usage.ru_utime + usage.ru_stime, sum(cpu_seconds(p) for p in node_pids) - before


def sha256_seconds_per_gib():
    """CPU seconds per GiB of SHA-256 alone on one core, from `openssl speed` (16 KiB blocks)."""
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "-bytes", "16384", "-evp", "sha256"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.lower().startswith("sha256"):
            return (1 << 30) / (float(line.split()[-1].rstrip("k")) * 1000)
    raise RuntimeError("no sha256 figure in openssl speed's output")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not os.access(BENCH, os.X_OK):
        sys.exit("cluster_bench: build it first: swift build -c release --product cluster-bench")
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="cluster-bench-", dir=base)
    ftpd = os.path.join(ROOT, ".build/release/ftpd")
    nodes = []
    try:
        users = os.path.join(work, "users.json")
        subprocess.run([ftpd, "user", "add", "--users", users, "--iterations", "1000", "bot",
                        "--permissions", "read,write,delete,rename,mkdir"], input="benchpw\n", text=True, check=True,
                       capture_output=True)
        ports = []
        for i in range(2):
            root = os.path.join(work, "node%d" % i)
            os.makedirs(root)
            port = free_port()
            nodes.append(subprocess.Popen([ftpd, "serve", "--root", root, "--users", users, "--address", "127.0.0.1",
                                           "--port", str(port), "--log-level", "error"]))
            wait_port(port)
            ports.append(port)
        pids = [n.pid for n in nodes]
        catalog = os.path.join(work, "catalog.sqlite")
        size = args.size_mib
        gib = size / 1024
        kinds = [("direct", "direct-%s", 1), ("cluster r1", "cluster-%s", 1), ("cluster r2", "cluster-%s", 2)]
        rows = {(k, d): [] for k, _, _ in kinds for d in ("put", "get")}
        sha_label = "cluster r1, SHA-256 check"
        rows[(sha_label, "get")] = []
        for r in range(args.runs):
            order = kinds if r % 2 == 0 else list(reversed(kinds))
            for label, op, replicas in order:
                name = "bench-%s-%d.bin" % (label.replace(" ", "-"), r)
                rows[(label, "put")].append(run(op % "put", name, ports, catalog, size, replicas, pids))
                rows[(label, "get")].append(run(op % "get", name, ports, catalog, size, replicas, pids))
                if label == "cluster r1":
                    rows[(sha_label, "get")].append(run(op % "get", name, ports, catalog, size, replicas, pids, "sha256"))
                if op.startswith("cluster"):
                    run("cluster-delete", name, ports, catalog, size, replicas, pids)
                else:
                    os.remove(os.path.join(work, "node0", name))
        print("\n## The cluster path vs a direct FTPClient transfer (%d MiB, %d runs, 2 ftpd nodes, /dev/shm)\n"
              % (size, args.runs))
        # This machine's speed drifts over minutes by more than the gaps measured here, so each run's transfer is
        # also compared with the direct one of the same round (moments apart): the median of those paired ratios.
        print("| transfer | seconds (median) | ratio of medians | paired ratio (median, range) | client CPU s/GiB "
              "| nodes' CPU s/GiB |")
        print("|---|---|---|---|---|---|")
        for d, label in (("put", "upload"), ("get", "download")):
            directs = [s for s, _, _ in rows[("direct", d)]]
            direct = statistics.median(directs)
            for k in [k for k, _, _ in kinds] + ([sha_label] if d == "get" else []):
                xs = rows[(k, d)]
                t = statistics.median(s for s, _, _ in xs)
                paired = [s / base for (s, _, _), base in zip(xs, directs)]
                print("| %s %s | %.2f | %.2f× | %.2f× (%.2f–%.2f) | %.2f | %.2f |" % (
                    label, k, t, t / direct, statistics.median(paired), min(paired), max(paired),
                    statistics.median(c for _, c, _ in xs) / gib, statistics.median(n for _, _, n in xs) / gib))
        # An upload records SHA-256 (sequential: one core hashes the whole file) and CRC-32C; a download checks the
        # CRC-32C (or, set to, the SHA-256). No checked transfer can end before one core has run its checksums.
        hashing = sha256_seconds_per_gib() * gib
        crc_runs = [subprocess.run([BENCH, "crc32c", "-", "--size-mib", str(size)], capture_output=True, text=True,
                                   check=True).stdout.split() for _ in range(3)]
        crc = statistics.median(float(r[0]) for r in crc_runs)
        print("\nOn one core: SHA-256 of %d MiB (`openssl speed -evp sha256 -bytes 16384`) %.2f s; CRC-32C (`cluster-bench "
              "crc32c`, on %s) %.3f s. No checked transfer can end sooner:\n" % (size, hashing, crc_runs[0][2], crc))
        # Nor sooner than the direct transfer's CPU (client and nodes) plus the checksums, spread over every core.
        cores = os.cpu_count() or 1
        print("| transfer | checksums alone vs direct | (direct CPU + checksums) / %d cores vs direct | target |" % cores)
        print("|---|---|---|---|")
        for d, label, cost in (("put", "upload", hashing + crc), ("get", "download", crc),
                               ("get", "download, SHA-256 check", hashing)):
            direct = statistics.median(s for s, _, _ in rows[("direct", d)])
            cpu = statistics.median(c + n for _, c, n in rows[("direct", d)])
            print("| %s | %.2f× | %.2f× | ≤ 1.15× |" % (label, cost / direct, (cpu + cost) / cores / direct))
    finally:
        for p in nodes:
            stop_process(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
