"""Side-by-side FTP server benchmark: ftpd (ours), vsftpd and pyftpdlib on loopback.

Measures, per server: RETR and STOR throughput of a large file with curl as the client, the time for N concurrent
clients to connect and log in, and the memory each idle logged-in session costs. Prints a Markdown table with
ratios against the best peer. Run through scripts/bench.
"""
import argparse, asyncio, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# SEED_FTPD measures another build of ftpd (an earlier commit's, for before/after figures).
FTPD_BINARY = os.environ.get("SEED_FTPD") or os.path.join(ROOT, ".build/release/ftpd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server on port %d did not start" % port)


def tree_pids(pid):
    """pid and all its descendants."""
    out = [pid]
    try:
        children = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    except OSError:
        return out
    for c in children:
        out += tree_pids(int(c))
    return out


def pss_kib(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            for line in open("/proc/%d/smaps_rollup" % p):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def stop_process(proc):
    """SIGTERM, then SIGKILL if it has not stopped within 10 s."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Server:
    def __init__(self, name, workdir):
        self.name, self.workdir = name, workdir
        self.port = free_port()
        self.proc = None

    def stop(self):
        stop_process(self.proc)


class FTPD(Server):
    user, password = "bench", "bench"
    remote = "pub/"

    def start(self):
        root = os.path.join(self.workdir, "root")
        os.makedirs(os.path.join(root, "pub"), exist_ok=True)
        users = os.path.join(self.workdir, "users.json")
        binary = getattr(self, "binary", FTPD_BINARY)  # ab_bench.py sets one per build it compares
        # A low iteration count so the login benchmark measures the server, not PBKDF2 (named users are only
        # used for transfers; the login benchmark is anonymous on every server).
        subprocess.run([binary, "user", "add", "--users", users, "--iterations", "1000", self.user],
                       input=self.password + "\n", text=True, check=True)
        self.proc = subprocess.Popen([binary, "--root", root, "--users", users, "--anonymous", "--address", "127.0.0.1",
                                      "--port", str(self.port), "--max-sessions", str(getattr(self, "max_sessions", 5000)),
                                      "--max-per-ip", str(getattr(self, "max_sessions", 5000)),
                                      "--log-level", "error"] + getattr(self, "extra", []))
        wait_port(self.port)
        self.pub = os.path.join(root, "pub")
        self.url = "ftp://%s:%s@127.0.0.1:%d/pub/" % (self.user, self.password, self.port)


class VSFTPD(Server):
    def start(self):
        root = os.path.join(self.workdir, "anon")
        os.makedirs(os.path.join(root, "pub"), exist_ok=True)
        shutil.chown(os.path.join(root, "pub"), "ftp")
        os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
        conf = os.path.join(self.workdir, "vsftpd.conf")
        low = 47001 + (self.port % 500) * 2
        open(conf, "w").write("\n".join([
            "listen=YES", "listen_port=%d" % self.port, "listen_address=127.0.0.1", "anonymous_enable=YES",
            "anon_root=" + root, "write_enable=YES", "anon_upload_enable=YES",
            "anon_mkdir_write_enable=YES", "anon_other_write_enable=YES", "local_enable=NO",
            "pasv_min_port=40000", "pasv_max_port=60000", "seccomp_sandbox=NO",
            "secure_chroot_dir=/var/run/vsftpd/empty", "background=NO", "max_per_ip=0", "max_clients=0",
            "anon_umask=022", "xferlog_enable=NO"] + getattr(self, "extra_conf", []) + [""]))
        self.proc = subprocess.Popen(["vsftpd", conf])
        wait_port(self.port)
        self.pub = os.path.join(root, "pub")
        self.url = "ftp://anonymous:x@127.0.0.1:%d/pub/" % self.port
        self.user, self.password, self.remote = "anonymous", "x", "pub/"


class PYFTPDLIB(Server):
    # The handler class, and the lines that set it up after `h = handler` (subclasses: TLS).
    handler, setup, arguments = "FTPHandler", "", []

    def start(self):
        root = os.path.join(self.workdir, "py")
        os.makedirs(os.path.join(root, "pub"), exist_ok=True)
        script = os.path.join(self.workdir, "pyserver.py")
        open(script, "w").write("""
import sys, logging
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import %s
from pyftpdlib.servers import FTPServer
logging.disable(logging.CRITICAL)
a = DummyAuthorizer()
a.add_user("bench", "bench", sys.argv[1], perm="elradfmwMT")
a.add_anonymous(sys.argv[1])
h = %s
%s
h.authorizer = a
s = FTPServer(("127.0.0.1", int(sys.argv[2])), h, backlog=1024)  # ftpd listens with 1024 too
s.max_cons = 0
s.max_cons_per_ip = 0
s.serve_forever()
""" % (self.handler, self.handler, self.setup))
        self.proc = subprocess.Popen([sys.executable, script, root, str(self.port)] + self.arguments)
        wait_port(self.port)
        self.pub = os.path.join(root, "pub")
        self.url = "ftp://bench:bench@127.0.0.1:%d/pub/" % self.port
        self.user, self.password, self.remote = "bench", "bench", "pub/"


class FTPD_TLS(FTPD):
    """ftpd with explicit FTPS required for logins and data (and session reuse, its default)."""
    def start(self):
        self.cert = make_certificate(self.workdir)
        self.extra = ["--tls-cert", self.cert + "/cert.pem", "--tls-key", self.cert + "/key.pem",
                      "--tls-policy", "required"] + getattr(self, "tls_flags", [])
        FTPD.start(self)


class VSFTPD_TLS(VSFTPD):
    """vsftpd with ssl_enable and TLS forced for anonymous logins and data, require_ssl_reuse on."""
    def start(self):
        self.cert = make_certificate(self.workdir)
        self.extra_conf = ["ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES",
                           "force_anon_data_ssl=YES", "require_ssl_reuse=YES",
                           "rsa_cert_file=" + self.cert + "/cert.pem", "rsa_private_key_file=" + self.cert + "/key.pem"]
        VSFTPD.start(self)


def publish(server, big):
    """Puts the big file in the server's directory as big.bin, readable by the server's user."""
    shutil.copy(big, os.path.join(server.pub, "big.bin"))
    if isinstance(server, VSFTPD):
        shutil.chown(os.path.join(server.pub, "big.bin"), "ftp")


def make_certificate(workdir):
    out = os.path.join(workdir, "cert")
    subprocess.run([FTPD_BINARY, "cert", "--out", out, "--force"],
                   check=True, capture_output=True)
    return out


def cpu_seconds(pid):
    """CPU time (user + system) of pid and its descendants, living and reaped (vsftpd forks per session)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for i, p in enumerate(tree_pids(pid)):
        try:
            fields = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime; the top process also carries its reaped children's (cutime, cstime), which include theirs.
        total += (int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if i == 0 else 0)) / tick
    return total


def measured(server, args):
    """curl's speed, with the CPU seconds curl and the server spent on the transfer."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server.proc.pid)
    speed = curl_speed(args)
    time.sleep(0.3)  # vsftpd's session processes exit (and are reaped) just after curl's QUIT
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return speed, client, cpu_seconds(server.proc.pid) - server_before


def ftps_transfers(work, big, runs):
    """FTPS RETR and STOR with curl (--ssl-reqd, certificate verified) against ftpd and vsftpd.

    Returns, per server, the best RETR and STOR speeds and the median CPU seconds per GiB that curl and the
    server spent on each: over TLS both sides are CPU-bound on a small machine, and these show who is the limit.
    """
    results = {}
    gib = os.path.getsize(big) / (1 << 30)
    for name, cls in (("ftpd", FTPD_TLS), ("vsftpd", VSFTPD_TLS)):
        server = cls(name, os.path.join(work, name + "-tls"))
        os.makedirs(server.workdir, exist_ok=True)
        server.start()
        try:
            tls = ["--ssl-reqd", "--cacert", server.cert + "/cert.pem"]
            publish(server, big)
            retr, stor = [], []
            for i in range(runs):
                retr.append(measured(server, tls + [server.url + "big.bin", "-o", "/dev/null"]))
                os.sync()
                stor.append(measured(server, tls + ["-T", big, server.url + "tls%d.bin" % i]))
                os.remove(os.path.join(server.pub, "tls%d.bin" % i))
            per_gib = lambda runs_, k: statistics.median(r[k] for r in runs_) / gib
            # Cores kept busy: both processes' CPU time over the transfer's duration (2.0 = a 2-core machine full).
            busy = lambda runs_: statistics.median((r[1] + r[2]) * r[0] / os.path.getsize(big) for r in runs_)
            results[name] = dict(retr=max(r[0] for r in retr), stor=max(r[0] for r in stor),
                                 retr_cpu=(per_gib(retr, 1), per_gib(retr, 2), busy(retr)),
                                 stor_cpu=(per_gib(stor, 1), per_gib(stor, 2), busy(stor)))
            print(name, "FTPS", results[name], file=sys.stderr, flush=True)
        finally:
            server.stop()
    return results


def curl_speed(args):
    out = subprocess.run(["curl", "-sS", "--max-time", "600", "-w", "%{speed_download} %{speed_upload}"] + args,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("curl failed: " + out.stderr)
    down, up = out.stdout.split()
    return max(float(down), float(up))


def client_vs_curl(server, big, runs):
    """Best-of-runs throughput of FTPKit's client and of curl, downloading and uploading the big file."""
    tool = os.path.join(ROOT, ".build/release/ftp-client-bench")
    def ours(*args):
        out = subprocess.run([tool] + list(args), capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("ftp-client-bench failed: " + out.stderr)
        return float(out.stdout.strip())
    res = {"curl_get": [], "ours_get": [], "curl_put": [], "ours_put": []}
    for i in range(runs):
        # Alternate who goes first, so neither always inherits the other's cache or write-back state.
        order = ["curl", "ours"] if i % 2 == 0 else ["ours", "curl"]
        for who in order:
            if who == "curl":
                res["curl_get"].append(curl_speed([server.url + "big.bin", "-o", "/dev/null"]))
            else:
                res["ours_get"].append(ours("get", "127.0.0.1", str(server.port), server.user, server.password,
                                            server.remote + "big.bin"))
        for who in order:
            os.sync()
            name = ("c%d.bin" if who == "curl" else "o%d.bin") % i
            if who == "curl":
                res["curl_put"].append(curl_speed(["-T", big, server.url + name]))
            else:
                res["ours_put"].append(ours("put", "127.0.0.1", str(server.port), server.user, server.password,
                                            server.remote + name, big))
            # Removed at once: the second uploader of a round must not write into a tmpfs already holding the
            # first one's 1 GiB (the server's page-cache writes slowed by half to two thirds when it did).
            os.remove(os.path.join(server.pub, name))
    best = {k: max(v) for k, v in res.items()}
    # Best-of favours whoever had one lucky run; the median of each round's own ratio (both measured back to back)
    # is steadier on a noisy machine. Both are printed.
    for what in ("get", "put"):
        best[what + "_paired"] = statistics.median(o / c for o, c in zip(res["ours_" + what], res["curl_" + what]))
    return best


def transfer(server, big, runs):
    retr, stor = [], []
    publish(server, big)
    for _ in range(runs):
        retr.append(curl_speed([server.url + "big.bin", "-o", "/dev/null"]))
        name = "up%d.bin" % len(stor)
        os.sync()
        stor.append(curl_speed(["-T", big, server.url + name]))
        os.remove(os.path.join(server.pub, name))
    return max(retr), max(stor)


async def login_many(port, n, user="anonymous", password="bench@"):
    """Opens n control connections at once (in batches of 1000, so the client's own burst does not overflow the
    listen backlog) and logs each in; returns (seconds, writers)."""
    async def one():
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=4096)

        async def reply():
            line = await r.readline()
            code = line[:3]
            if line[3:4] == b"-":
                while not (await r.readline()).startswith(code + b" "):
                    pass
            return code
        if await reply() != b"220":
            raise RuntimeError("no greeting")
        w.write(b"USER %s\r\n" % user.encode())
        await reply()
        w.write(b"PASS %s\r\n" % password.encode())
        code = await reply()
        if code != b"230":
            raise RuntimeError("login failed: %r" % code)
        return w
    start = time.perf_counter()
    writers = []
    for i in range(0, n, 1000):
        writers += await asyncio.wait_for(asyncio.gather(*[one() for _ in range(min(1000, n - i))]), 300 if n > 1000 else 60)
    return time.perf_counter() - start, writers


def logins(server, n):
    """Seconds for n concurrent logins, or None when the server did not manage within 60 s."""
    async def run():
        try:
            seconds, writers = await login_many(server.port, n)
        except asyncio.TimeoutError:
            return None
        for w in writers:
            w.close()
        await asyncio.sleep(0.5)
        return seconds
    return asyncio.run(run())


def idle_memory(server, n):
    async def run():
        await asyncio.sleep(0.5)
        before = pss_kib(server.proc.pid)
        _, writers = await login_many(server.port, n)
        await asyncio.sleep(1.0)
        after = pss_kib(server.proc.pid)
        for w in writers:
            w.close()
        await asyncio.sleep(0.5)
        return (after - before) / n
    return asyncio.run(run())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--servers", default="ftpd,vsftpd,pyftpdlib")
    ap.add_argument("--output")
    ap.add_argument("--disk", action="store_true", help="keep the files on disk instead of tmpfs")
    ap.add_argument("--ftps", choices=["yes", "no", "only"], default="yes", help="measure FTPS (ftpd and vsftpd)")
    ap.add_argument("--clients-only", action="store_true",
                    help="only FTPKit's client against curl (skips the servers' logins, memory and transfers)")
    args = ap.parse_args()

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    # Files live in memory (tmpfs) so uploads measure the servers and clients, not this machine's disk
    # write-back; --disk measures on disk instead.
    base = None if args.disk or not os.path.isdir("/dev/shm") else "/dev/shm"
    work = tempfile.mkdtemp(prefix="seed-bench-", dir=base)
    os.chmod(work, 0o755)
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(args.size_mib):
            f.write(chunk)
    classes = {"ftpd": FTPD, "vsftpd": VSFTPD, "pyftpdlib": PYFTPDLIB}
    results = {}
    clients = {}
    ftps = {}
    try:
        if args.ftps != "no":
            ftps = ftps_transfers(work, big, args.runs)
        for name in ([] if args.ftps == "only" else args.servers.split(",")):
            server = classes[name](name, os.path.join(work, name))
            os.makedirs(server.workdir, exist_ok=True)
            server.start()
            try:
                if not args.clients_only:
                    # Memory first, on a fresh process, so earlier work does not pre-grow its heap.
                    mem = idle_memory(server, 40)
                    l200 = logins(server, 200)
                    l1000 = logins(server, 1000)
                    retr, stor = transfer(server, big, args.runs)
                    results[name] = dict(retr=retr, stor=stor, l200=l200, l1000=l1000, mem=mem)
                    print(name, results[name], file=sys.stderr, flush=True)
                if name in ("ftpd", "vsftpd"):
                    if args.clients_only:
                        publish(server, big)
                    clients[name] = client_vs_curl(server, big, args.runs)
                    print(name, "client", clients[name], file=sys.stderr, flush=True)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    peers = [n for n in results if n != "ftpd"]
    lines = ["| server | RETR MB/s | STOR MB/s | 200 logins (s) | 1000 logins (s) | idle session (KiB) |",
             "|---|---|---|---|---|---|"]
    secs = lambda v: "> 60 (did not finish)" if v is None else "%.3f" % v
    for name, r in results.items():
        lines.append("| %s | %.0f | %.0f | %s | %s | %.1f |" % (
            name, r["retr"] / 1e6, r["stor"] / 1e6, secs(r["l200"]), secs(r["l1000"]), r["mem"]))
    if "ftpd" in results and peers:
        o = results["ftpd"]
        best = lambda key, f: f(results[p][key] for p in peers)
        lines += ["", "ftpd against the best peer in this run (higher is better for ftpd):", "",
                  "| measure | ratio |", "|---|---|",
                  "| RETR throughput | %.2f× |" % (o["retr"] / best("retr", max)),
                  "| STOR throughput | %.2f× |" % (o["stor"] / best("stor", max)),
                  "| 1000 logins vs pyftpdlib (time) | %s |" % (
                      "%.2f× faster" % (results["pyftpdlib"]["l1000"] / o["l1000"])
                      if results.get("pyftpdlib", {}).get("l1000") and o["l1000"] else "n/a"),
                  "| idle session memory | %.1f KiB (target ≤ 64) |" % o["mem"]]
    if clients:
        lines += ["", "FTPKit's client against curl on the same server (best of %d, MB/s; \"paired\" is the median of "
                  "each round's ratio, the two clients measured back to back):" % args.runs, "",
                  "| server | curl RETR | FTPKit RETR | ratio | paired | curl STOR | FTPKit STOR | ratio | paired |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, c in clients.items():
            lines.append("| %s | %.0f | %.0f | %.2f× | %.2f× | %.0f | %.0f | %.2f× | %.2f× |" % (
                name, c["curl_get"] / 1e6, c["ours_get"] / 1e6, c["ours_get"] / c["curl_get"], c["get_paired"],
                c["curl_put"] / 1e6, c["ours_put"] / 1e6, c["ours_put"] / c["curl_put"], c["put_paired"]))
    if ftps:
        lines += ["", "FTPS with curl (--ssl-reqd, TLS required for data, session reuse on; best of %d, MB/s). CPU: median "
                  "CPU seconds per GiB spent by curl / by the server; busy: cores the two kept busy together "
                  "(this machine has %d):" % (args.runs, os.cpu_count() or 1), "",
                  "| server | RETR | CPU curl / server | busy | STOR | CPU curl / server | busy |",
                  "|---|---|---|---|---|---|---|"]
        for name, f in ftps.items():
            lines.append("| %s | %.0f | %.2f / %.2f | %.2f | %.0f | %.2f / %.2f | %.2f |" % (
                name, f["retr"] / 1e6, *f["retr_cpu"], f["stor"] / 1e6, *f["stor_cpu"]))
        if "ftpd" in ftps and "vsftpd" in ftps:
            o, v = ftps["ftpd"], ftps["vsftpd"]
            lines += ["", "| ftpd / vsftpd over FTPS | RETR %.2f× | STOR %.2f× | (target ≥ 3×) |" % (
                o["retr"] / v["retr"], o["stor"] / v["stor"])]
    if not results:
        lines = lines[2:] if not peers else lines
    table = "\n".join(lines)
    print(table)
    if args.output:
        open(args.output, "w").write(table + "\n")


if __name__ == "__main__":
    main()
