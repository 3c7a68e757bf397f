"""ftpd under many clients and per byte, against pyftpdlib and vsftpd in the same run (scripts/bench runs it).

- pyftpdlib's own benchmark, `ftpbench` (transfer and concurrence benches, N clients, file size S), against each
  server in turn, alternating servers round by round; medians of the rounds, and the CPU seconds each server
  process (with its children) spent over the whole bench and in each of its phases, and the server process's
  peak memory.
- Transfer setup: ftpbench's 200-client figures include 200 logins and 200 transfer openings made one after
  another, so they carry the server's answer latency 200 times; this measures those phases on their own.
- FTPS: the server's CPU seconds per GiB sent and received with curl, against the cost of the cipher curl
  negotiated on this machine (`openssl speed -evp`), measured in the same run.
- Logins of a user with a PBKDF2 password hash (the default 600,000 iterations): N at once, cold (one key
  derivation for all: concurrent logins of one user share it) and once cached, against N anonymous logins.
- Idle logged-in sessions: the server's memory (PSS) per session at 10,000 sessions.

Prints Markdown tables with ratios; never bare times only.
"""
import argparse, asyncio, os, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftp_bench import (FTPD, FTPD_BINARY, FTPD_TLS, PYFTPDLIB, VSFTPD, cpu_seconds, login_many, pss_kib,  # noqa: E402
                       publish, wait_port)

LINE = re.compile(r"^(?P<what>.+?)\s+(?P<value>[\d.]+)\s+(?P<unit>MB/sec|secs)")


class VSFTPD_Writable(VSFTPD):
    """vsftpd with a local user whose login directory is writable, since ftpbench stores its test file there
    (vsftpd refuses a writable root for anonymous users). The user is a system account without a shell, created
    when missing, with a random password per run and a PAM service of its own (pam_unix only)."""
    user, password = "seedbench", None

    def start(self):
        import secrets, pwd
        self.password = secrets.token_hex(12)
        root = os.path.join(self.workdir, "home")
        os.makedirs(root, exist_ok=True)
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.user],
                           check=True)
        subprocess.run(["usermod", "--home", root, self.user], check=True)  # vsftpd enters it on login
        subprocess.run(["chpasswd"], input="%s:%s\n" % (self.user, self.password), text=True, check=True)
        shutil.chown(root, self.user)
        open("/etc/pam.d/seed-bench-vsftpd", "w").write("auth required pam_unix.so\naccount required pam_unix.so\n")
        os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
        conf = os.path.join(self.workdir, "vsftpd.conf")
        open(conf, "w").write("\n".join([
            "listen=YES", "listen_port=%d" % self.port, "listen_address=127.0.0.1", "anonymous_enable=NO",
            "local_enable=YES", "write_enable=YES", "local_root=" + root, "chroot_local_user=NO", "check_shell=NO",
            "pam_service_name=seed-bench-vsftpd", "pasv_min_port=40000", "pasv_max_port=60000", "seccomp_sandbox=NO",
            "secure_chroot_dir=/var/run/vsftpd/empty", "background=NO", "max_per_ip=0", "max_clients=0",
            "local_umask=022", "xferlog_enable=NO", "idle_session_timeout=600", "data_connection_timeout=600", ""]))
        self.proc = subprocess.Popen(["vsftpd", conf])
        wait_port(self.port)


def ftpbench(server, bench, clients, size, timeout=180):
    """Runs ftpbench once; returns ({figure: value}, {figure: unit}, server CPU seconds, {figure: server CPU seconds
    since the previous figure}). ftpbench prints one line per phase as it ends, so the server's CPU read at each line
    splits the bench by phase (work the server still does after a phase's clock stopped, such as draining uploads
    ftpbench already handed to the kernel, counts in the next line). A run that does not finish within `timeout`
    keeps the figures it printed (vsftpd stalls in the concurrent STOR, measured here)."""
    before = cpu_seconds(server.proc.pid)
    command = ["ftpbench", "-u", server.user, "-p", server.password, "-H", "127.0.0.1", "-P", str(server.port),
               "-b", bench, "-n", str(clients), "-s", size]
    process = subprocess.Popen(["python3", "-u"] + [shutil.which("ftpbench")] + command[1:], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    values, units, phase_cpu = {}, {}, {}
    last = before
    try:
        for line in process.stdout:
            m = LINE.match(line.strip())
            if m:
                now = cpu_seconds(server.proc.pid)
                what = m["what"].strip()
                values[what], units[what], phase_cpu[what] = float(m["value"]), m["unit"], now - last
                last = now
        stderr = process.stderr.read()
        process.wait()
    finally:
        timed_out = not watchdog.is_alive() and process.returncode != 0
        watchdog.cancel()
    if timed_out:
        print("ftpbench against %s did not finish in %d s" % (server.name, timeout), file=sys.stderr, flush=True)
    elif process.returncode != 0:
        raise RuntimeError("ftpbench against %s failed: %s" % (server.name, stderr[-2000:]))
    time.sleep(0.3)
    cpu = cpu_seconds(server.proc.pid) - before
    return values, units, cpu, phase_cpu


def start(cls, name, work):
    server = cls(name, os.path.join(work, name))
    os.makedirs(server.workdir, exist_ok=True)
    server.start()
    if cls is FTPD:
        # ftpbench stores its file in the login directory: the bench user's root is the server root.
        server.user, server.password = "bench", "bench"
    return server


def load(work, servers, rounds, clients, size):
    """Medians per server of each ftpbench figure and of the server CPU, servers alternating each round."""
    figures = {n: {} for n in servers}
    phases = {n: {} for n in servers}
    cpu = {n: [] for n in servers}
    peak = {n: [] for n in servers}
    units = {}
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB, "vsftpd": VSFTPD_Writable}
    for r in range(rounds):
        for name in servers:
            server = start(classes[name], name + "-load%d" % r, work)
            try:
                total = 0.0
                for bench in ("transfer", "concurrence"):
                    values, u, c, by_phase = ftpbench(server, bench, clients, size)
                    units.update(u)
                    total += c
                    for k, v in values.items():
                        figures[name].setdefault(k, []).append(v)
                    for k, v in by_phase.items():
                        phases[name].setdefault(k, []).append(v)
                cpu[name].append(total)
                peak[name].append(peak_rss_mib(server.proc.pid))
                print(name, "round", r, {k: v[-1] for k, v in figures[name].items()}, "cpu", total,
                      file=sys.stderr, flush=True)
            finally:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    phase_med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in phases.items()}
    return (med, {n: statistics.median(c) for n, c in cpu.items()}, {n: statistics.median(p) for n, p in peak.items()},
            units, phase_med)


def peak_rss_mib(pid):
    """The server process's peak resident memory (VmHWM), MiB. vsftpd's sessions are processes of their own, not
    counted here."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def transfer_setup(work, servers, rounds, clients):
    """What ftpbench's 200-client figures add up but do not show: its clients log in one after another, then open
    their transfers one after another (TYPE I, PASV, STOR or RETR until the 150 reply) before any data moves. So
    each figure carries 200 times the server's answer latency. Medians per server, in seconds, of: the logins,
    the STOR openings, the STOR completions (1000 bytes each, until every 226), the RETR openings."""
    import ftplib
    phases = ("logins", "STOR openings", "STOR completions", "RETR openings")
    results = {n: {p: [] for p in phases} for n in servers}
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB, "vsftpd": VSFTPD_Writable}
    for r in range(rounds):
        for name in servers:
            server = start(classes[name], name + "-setup%d" % r, work)
            sessions = []
            try:
                t0 = time.perf_counter()
                for _ in range(clients):
                    f = ftplib.FTP(timeout=30)
                    f.connect("127.0.0.1", server.port)
                    f.login(server.user, server.password)
                    sessions.append(f)
                t1 = time.perf_counter()

                def open_all(verb):
                    conns = []
                    for i, f in enumerate(sessions):
                        f.voidcmd("TYPE I")
                        conns.append(f.transfercmd("%s setup%d.bin" % (verb, i)))
                    return conns
                conns = open_all("STOR")
                t2 = time.perf_counter()
                for c in conns:
                    c.sendall(b"x" * 1000)
                    c.close()
                for f in sessions:
                    f.voidresp()
                t3 = time.perf_counter()
                conns = open_all("RETR")
                t4 = time.perf_counter()
                for c in conns:
                    while c.recv(65536):
                        pass
                    c.close()
                for f in sessions:
                    f.voidresp()
                for p, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    results[name][p].append(v)
            finally:
                for f in sessions:
                    f.close()
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    return {n: {p: statistics.median(v) for p, v in ph.items()} for n, ph in results.items()}


def hashed_logins(work, n):
    """(anonymous s, PBKDF2 cold s, PBKDF2 cached s) for n concurrent logins to ftpd, and the KDF's iterations."""
    server = FTPD("ftpd", os.path.join(work, "ftpd-kdf"))
    os.makedirs(server.workdir, exist_ok=True)
    server.start()
    binary = FTPD_BINARY
    users = os.path.join(server.workdir, "users.json")
    # A user with the default (slow) hash, added to the running server's users file and loaded on SIGHUP.
    subprocess.run([binary, "user", "add", "--users", users, "slow"], input="slow-secret\n", text=True, check=True)
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(1)

    async def run(user, password):
        seconds, writers = await login_many(server.port, n, user, password)
        for w in writers:
            w.close()
        await asyncio.sleep(0.5)
        return seconds
    try:
        anonymous = asyncio.run(run("anonymous", "bench@"))
        cold = asyncio.run(run("slow", "slow-secret"))
        cached = asyncio.run(run("slow", "slow-secret"))
        anonymous2 = asyncio.run(run("anonymous", "bench@"))
    finally:
        server.stop()
    return statistics.median([anonymous, anonymous2]), cold, cached


def idle_sessions(work, servers, n):
    """KiB of server memory (PSS) per idle logged-in session at n sessions."""
    result = {}
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB}
    for name in servers:
        if name not in classes:
            continue
        server = classes[name](name, os.path.join(work, name + "-idle"))
        os.makedirs(server.workdir, exist_ok=True)
        if name == "ftpd":
            server.max_sessions = n + 100
        server.start()
        try:
            async def run():
                await asyncio.sleep(0.5)
                before = pss_kib(server.proc.pid)
                _, writers = await login_many(server.port, n, "anonymous", "x@")
                await asyncio.sleep(2.0)
                after = pss_kib(server.proc.pid)
                for w in writers:
                    w.close()
                return (after - before) / n
            result[name] = asyncio.run(run())
            print(name, "idle KiB per session", result[name], file=sys.stderr, flush=True)
        finally:
            server.stop()
    return result


def cipher_cost(cipher):
    """CPU seconds per GiB of `cipher` alone on one core, from `openssl speed -evp` (16 KiB blocks)."""
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "-bytes", "16384", "-evp", cipher],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.lower().startswith(cipher.lower()):
            kbytes = float(line.split()[-1].rstrip("k"))
            return (1 << 30) / (kbytes * 1000)
    raise RuntimeError("no figure for %s in openssl speed's output" % cipher)


def ftps_cost(work, size_mib, runs):
    """Server CPU s/GiB for FTPS RETR and STOR with curl, the negotiated suite, and the cipher's own cost."""
    big = os.path.join(work, "tls-big.bin")
    with open(big, "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(size_mib):
            f.write(chunk)
    gib = size_mib / 1024
    server = FTPD_TLS("ftpd", os.path.join(work, "ftpd-tls-cost"))
    os.makedirs(server.workdir, exist_ok=True)
    server.start()
    try:
        publish(server, big)
        tls = ["--ssl-reqd", "--cacert", server.cert + "/cert.pem", "-sS"]
        probe = subprocess.run(["curl", "-v"] + tls + [server.url + "big.bin", "-o", "/dev/null", "--max-filesize",
                               "1"], capture_output=True, text=True)
        suite = re.search(r"SSL connection using (\S+) / (\S+)", probe.stderr)
        suite = "%s %s" % (suite[1], suite[2]) if suite else "unknown"
        retr, stor = [], []
        for i in range(runs):
            before = cpu_seconds(server.proc.pid)
            subprocess.run(["curl"] + tls + [server.url + "big.bin", "-o", "/dev/null"], check=True)
            retr.append((cpu_seconds(server.proc.pid) - before) / gib)
            before = cpu_seconds(server.proc.pid)
            subprocess.run(["curl"] + tls + ["-T", big, server.url + "up%d.bin" % i], check=True)
            stor.append((cpu_seconds(server.proc.pid) - before) / gib)
            os.remove(os.path.join(server.pub, "up%d.bin" % i))
    finally:
        server.stop()
        os.remove(big)
    cipher = "aes-256-gcm" if "AES_256_GCM" in suite or "AES256-GCM" in suite else (
        "aes-128-gcm" if "AES_128_GCM" in suite or "AES128-GCM" in suite else "chacha20-poly1305")
    return suite, cipher, cipher_cost(cipher), statistics.median(retr), statistics.median(stor)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--size", default="10M")
    ap.add_argument("--servers", default="ftpd,pyftpdlib,vsftpd")
    ap.add_argument("--logins", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--tls-mib", type=int, default=512)
    ap.add_argument("--only", default="load,setup,tls,logins,idle")
    ap.add_argument("--output")
    args = ap.parse_args()
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    only = args.only.split(",")
    servers = args.servers.split(",")
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="seed-load-", dir=base)
    os.chmod(work, 0o755)
    lines = []
    try:
        if "load" in only:
            med, cpu, peak, units, phase_cpu = load(work, servers, args.rounds, args.clients, args.size)
            lines += ["ftpbench (`-b transfer` and `-b concurrence -n %d -s %s`), medians of %d rounds; ratio: ftpd "
                      "against pyftpdlib, above 1 is better for ftpd:" % (args.clients, args.size, args.rounds), "",
                      "| figure | " + " | ".join(servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(servers) + 1)]
            for figure in med.get("ftpd", {}):
                row = [("%.2f" % med[n][figure]) if figure in med[n] else "-" for n in servers]
                ratio = "-"
                if "pyftpdlib" in med and figure in med["pyftpdlib"]:
                    o, p = med["ftpd"][figure], med["pyftpdlib"][figure]
                    if units[figure] == "secs" and max(o, p) <= 0.01:
                        ratio = "n/a (both ≤ 0.01 s)"
                    elif min(o, p) > 0:
                        ratio = "%.2f×" % ((o / p) if units[figure] == "MB/sec" else (p / o))
                lines.append("| %s (%s) | %s | %s |" % (figure, units[figure], " | ".join(row), ratio))
            lines.append("| server CPU over both benches (s) | %s | %s |" % (
                " | ".join("%.2f" % cpu[n] for n in servers),
                "%.2f× (target ≤ 0.67×)" % (cpu["ftpd"] / cpu["pyftpdlib"]) if "pyftpdlib" in cpu else "-"))
            lines.append("| server peak resident memory, MiB (vsftpd: its parent process only) | %s | %s |" % (
                " | ".join("%.0f" % peak[n] for n in servers),
                "%.2f×" % (peak["pyftpdlib"] / peak["ftpd"]) if "pyftpdlib" in peak and peak["ftpd"] > 0 else "-"))
            lines += ["", "Server CPU seconds per ftpbench phase (read as each result line appears; what a server "
                      "still does after a phase's clock stopped counts in the next line), medians of %d rounds; ratio: "
                      "ftpd's CPU against pyftpdlib's, below 1 is better for ftpd:" % args.rounds, "",
                      "| phase | " + " | ".join(servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(servers) + 1)]
            for figure in phase_cpu.get("ftpd", {}):
                row = [("%.2f" % phase_cpu[n][figure]) if figure in phase_cpu[n] else "-" for n in servers]
                p = phase_cpu.get("pyftpdlib", {}).get(figure)
                ratio = "%.2f×" % (phase_cpu["ftpd"][figure] / p) if p else "-"
                lines.append("| %s | %s | %s |" % (figure, " | ".join(row), ratio))
            lines.append("")
        if "setup" in only:
            med = transfer_setup(work, servers, args.rounds, args.clients)
            lines += ["%d clients one after another, as ftpbench opens them (seconds, medians of %d rounds; ratio: "
                      "ftpd against pyftpdlib, above 1 is better for ftpd):" % (args.clients, args.rounds), "",
                      "| phase | " + " | ".join(servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(servers) + 1)]
            for phase in med[servers[0]]:
                ratio = ("%.2f×" % (med["pyftpdlib"][phase] / med["ftpd"][phase])
                         if "pyftpdlib" in med and "ftpd" in med else "-")
                lines.append("| %s | %s | %s |" % (phase, " | ".join("%.3f" % med[n][phase] for n in servers), ratio))
            lines.append("")
        if "tls" in only:
            suite, cipher, cost, retr, stor = ftps_cost(work, args.tls_mib, args.rounds)
            lines += ["FTPS with curl (%d MiB, median of %d): ftpd's CPU seconds per GiB against %s alone "
                      "(`openssl speed -evp %s -bytes 16384`, one core: %.3f s/GiB); curl negotiated %s:"
                      % (args.tls_mib, args.rounds, cipher, cipher, cost, suite), "",
                      "| direction | server CPU s/GiB | × cipher | target |", "|---|---|---|---|",
                      "| RETR (sent) | %.3f | %.2f× | ≤ 2.0× |" % (retr, retr / cost),
                      "| STOR (received) | %.3f | %.2f× | ≤ 2.5× |" % (stor, stor / cost), ""]
        if "logins" in only:
            anonymous, cold, cached = hashed_logins(work, args.logins)
            lines += ["%d concurrent logins to ftpd (seconds): a user whose password is a PBKDF2-SHA256 hash (600,000 "
                      "iterations), first cold then cached, against anonymous:" % args.logins, "",
                      "| anonymous | PBKDF2 cold | PBKDF2 cached | cached vs anonymous |", "|---|---|---|---|",
                      "| %.3f | %.3f | %.3f | %.2f× (target ≤ 2×) |" % (anonymous, cold, cached, cached / anonymous), ""]
        if "idle" in only:
            idle = idle_sessions(work, servers, args.idle)
            lines += ["Memory per idle logged-in session at %d sessions (PSS growth / sessions):" % args.idle, "",
                      "| server | KiB per session |", "|---|---|"]
            lines += ["| %s | %.1f%s |" % (n, v, " (target ≤ 32)" if n == "ftpd" else "") for n, v in idle.items()]
            lines.append("")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(lines)
    print(table)
    if args.output:
        open(args.output, "w").write(table + "\n")


if __name__ == "__main__":
    main()
