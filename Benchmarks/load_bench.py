"""ftpd under many clients and per byte, against pyftpdlib and vsftpd in the same run (scripts/bench runs it).

- pyftpdlib's own benchmark, `ftpbench` (transfer and concurrence benches, N clients, file size S), against each
  server in turn, alternating servers round by round; medians of the rounds, and the CPU seconds each server
  process (with its children) spent over the whole bench and in each of its phases, and the server process's
  peak memory.
- Transfer setup: ftpbench's 200-client figures include 200 logins and 200 transfer openings made one after
  another, so they carry the server's answer latency 200 times; this measures those phases on their own.
- The same ftpbench over FTPS (`-S`), ftpd against pyftpdlib's TLS handler.
- FTPS: the server's CPU seconds per GiB sent and received with curl, against the cost of the cipher curl
  negotiated on this machine (`openssl speed -evp`), measured in the same run.
- Logins of a user with a PBKDF2 password hash (the default 600,000 iterations): N at once, cold (one key
  derivation for all: concurrent logins of one user share it) and once cached, against N anonymous logins.
- Idle logged-in sessions: the server's memory (PSS) per session at 10,000 sessions.
- A directory of 200,000 entries listed with curl (LIST): seconds, the server's CPU and the peak memory the
  listing adds to the server process.
- Connections that come and go: the memory a server keeps after 20,000 sessions that logged in, listed, downloaded
  and quit (or hung up), per 1,000 sessions, after a first 2,000 to warm up (a leak shows as a figure that stays
  above zero; one did, 2 KiB per session, before 2026-12-06).
- System calls, wake-ups and page faults over one concurrence bench, ftpd against pyftpdlib storing uploads whole
  (`perf stat` attached to the server; needs `perf` and permission to trace, so only with `--only syscalls` or when
  `perf` runs here): where ftpd's extra CPU goes, counted rather than sampled.

Prints Markdown tables with ratios; never bare times only.
"""
import argparse, asyncio, os, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftp_bench import (FTPD, FTPD_BINARY, FTPD_TLS, PYFTPDLIB, VSFTPD, cpu_seconds, login_many,  # noqa: E402
                       make_certificate, pss_kib, publish, tree_pids, wait_port)

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
        # SHA-512 crypt at its fewest rounds: Debian hashes with yescrypt by default, whose check took about 32 of the
        # 37 ms each login cost here (200 logins: 7.5 s, then 1.06 s), so the login figure measured the hash, not
        # vsftpd. ftpd's bench user has 1,000 PBKDF2 iterations for the same reason (ftp_bench.py); pyftpdlib's a
        # plain-text password.
        subprocess.run(["chpasswd", "--crypt-method", "SHA512", "--sha-rounds", "1000"],
                       input="%s:%s\n" % (self.user, self.password), text=True, check=True)
        shutil.chown(root, self.user)
        open("/etc/pam.d/seed-bench-vsftpd", "w").write("auth required pam_unix.so\naccount required pam_unix.so\n")
        os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
        conf = os.path.join(self.workdir, "vsftpd.conf")
        # lock_upload_files=NO: vsftpd locks the target before its 150 reply, and ftpbench opens all 200 uploads of one
        # name before sending data, so with the lock the second upload waits forever for the first's.
        open(conf, "w").write("\n".join([
            "listen=YES", "listen_port=%d" % self.port, "listen_address=127.0.0.1", "anonymous_enable=NO",
            "local_enable=YES", "write_enable=YES", "local_root=" + root, "chroot_local_user=NO", "check_shell=NO",
            "pam_service_name=seed-bench-vsftpd", "pasv_min_port=40000", "pasv_max_port=60000", "seccomp_sandbox=NO",
            "secure_chroot_dir=/var/run/vsftpd/empty", "background=NO", "max_per_ip=0", "max_clients=0",
            "local_umask=022", "lock_upload_files=NO", "xferlog_enable=NO", "idle_session_timeout=600",
            "data_connection_timeout=600", ""]))
        self.proc = subprocess.Popen(["vsftpd", conf])
        wait_port(self.port)


class PYFTPDLIB_Atomic(PYFTPDLIB):
    """pyftpdlib storing each upload as ftpd does: into a new temporary file beside the target, renamed over it once
    whole, removed if the upload fails. Stock pyftpdlib writes into the target itself, so ftpbench's 200 clients
    storing one name all write into one live file (readers see it torn). This is the like-for-like peer for the
    server CPU over the concurrence bench."""

    def start(self):
        root = os.path.join(self.workdir, "py")
        os.makedirs(os.path.join(root, "pub"), exist_ok=True)
        script = os.path.join(self.workdir, "pyserver_atomic.py")
        open(script, "w").write("""
import os, secrets, sys, logging
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.disable(logging.CRITICAL)
targets = {}
class AtomicFS(AbstractedFS):
    def open(self, filename, mode):
        if mode != "wb":
            return super().open(filename, mode)
        temporary = os.path.join(os.path.dirname(filename), ".upload-" + secrets.token_hex(8))
        f = open(temporary, "xb")
        targets[temporary] = filename
        return f
class AtomicHandler(FTPHandler):
    def on_file_received(self, file):
        target = targets.pop(file, None)
        if target is not None:
            os.rename(file, target)
    def on_incomplete_file_received(self, file):
        if targets.pop(file, None) is not None:
            os.unlink(file)
a = DummyAuthorizer()
a.add_user("bench", "bench", sys.argv[1], perm="elradfmwMT")
a.add_anonymous(sys.argv[1])
h = AtomicHandler
h.authorizer = a
h.abstracted_fs = AtomicFS
s = FTPServer(("127.0.0.1", int(sys.argv[2])), h, backlog=1024)  # ftpd listens with 1024 too
s.max_cons = 0
s.max_cons_per_ip = 0
s.serve_forever()
""")
        self.proc = subprocess.Popen([sys.executable, script, root, str(self.port)])
        wait_port(self.port)
        self.pub = os.path.join(root, "pub")
        self.url = "ftp://bench:bench@127.0.0.1:%d/pub/" % self.port
        self.user, self.password, self.remote = "bench", "bench", "pub/"


def ftpbench(server, bench, clients, size, timeout=180):
    """Runs ftpbench once; returns ({figure: value}, {figure: unit}, server CPU seconds, {figure: server CPU seconds
    since the previous figure}, {figure: ftpbench's own CPU seconds since the previous figure}). ftpbench prints one line per phase as it ends, so the server's CPU read at each line
    splits the bench by phase (work the server still does after a phase's clock stopped, such as draining uploads
    ftpbench already handed to the kernel, counts in the next line). A run that does not finish within `timeout`
    keeps the figures it printed."""
    before = cpu_seconds(server.proc.pid)
    command = ["ftpbench", "-u", server.user, "-p", server.password, "-H", "127.0.0.1", "-P", str(server.port),
               "-b", bench, "-n", str(clients), "-s", size] + getattr(server, "ftpbench_args", [])
    # ftpbench runs behind a line printed once its modules are imported, so its own CPU in the first phase does not
    # count the interpreter's start. With `-S`, pyftpdlib 2.2's ftpbench crashes in its concurrent RETR whenever a
    # socket is readable but holds only part of a TLS record (`AsyncReader.handle_read` swallows SSLWantReadError,
    # then reads the unset `chunk`: UnboundLocalError), against pyftpdlib itself as against ftpd. The launcher loads
    # ftpbench without running it, replaces that one method with the same read that returns on a partial record,
    # and then runs it.
    launcher = (
        "import argparse, asynchat, asyncore, contextlib, ftplib, runpy, ssl, sys; print('started', flush=True); "
        "sys.argv = sys.argv[1:]; g = runpy.run_path(sys.argv[0], run_name='ftpbench')\n"
        "def handle_read(self):\n"
        "    try:\n"
        "        chunk = self.socket.recv(65536)\n"
        "    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):\n"
        "        return\n"
        "    if not chunk:\n"
        "        self.close()\n"
        "g['AsyncReader'].handle_read = handle_read\n"
        "g['main']()")
    process = subprocess.Popen(["python3", "-u", "-W", "ignore", "-c", launcher, shutil.which("ftpbench")] + command[1:],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    values, units, phase_cpu, client_cpu = {}, {}, {}, {}
    last = before
    client_last = 0.0
    try:
        for line in process.stdout:
            if line.strip() == "started":
                client_last = cpu_seconds(process.pid)
                continue
            m = LINE.match(line.strip())
            if m:
                now, client_now = cpu_seconds(server.proc.pid), cpu_seconds(process.pid)
                what = m["what"].strip()
                values[what], units[what], phase_cpu[what] = float(m["value"]), m["unit"], now - last
                client_cpu[what] = client_now - client_last
                last, client_last = now, client_now
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
    return values, units, cpu, phase_cpu, client_cpu


class FTPD_TLS_Ftpbench(FTPD):
    """ftpd with FTPS for `ftpbench -S`, whose ftplib data connections neither resume the control connection's TLS
    session nor end uploads with close_notify: both checks relaxed (`--allow-tls-without-reuse`,
    `--allow-tls-upload-without-close-notify`), as pyftpdlib never makes them."""
    ftpbench_args = ["-S"]

    def start(self):
        self.cert = make_certificate(self.workdir)
        self.extra = ["--tls-cert", self.cert + "/cert.pem", "--tls-key", self.cert + "/key.pem",
                      "--allow-tls-without-reuse", "--allow-tls-upload-without-close-notify"]
        FTPD.start(self)


class PYFTPDLIB_TLS(PYFTPDLIB):
    """pyftpdlib's TLS_FTPHandler (pyOpenSSL) with a certificate made like ftpd's, for `ftpbench -S`."""
    ftpbench_args = ["-S"]
    handler, setup = "TLS_FTPHandler", "h.certfile, h.keyfile = sys.argv[3], sys.argv[4]"

    def start(self):
        cert = make_certificate(self.workdir)
        self.arguments = [cert + "/cert.pem", cert + "/key.pem"]
        PYFTPDLIB.start(self)


def start(cls, name, work):
    server = cls(name, os.path.join(work, name))
    os.makedirs(server.workdir, exist_ok=True)
    server.start()
    if issubclass(cls, FTPD):
        # ftpbench stores its file in the login directory: the bench user's root is the server root.
        server.user, server.password = "bench", "bench"
    return server


def load(work, servers, rounds, clients, size):
    """Medians per server of each ftpbench figure and of the server CPU, servers alternating each round."""
    figures = {n: {} for n in servers}
    phases = {n: {} for n in servers}
    clients_cpu = {n: {} for n in servers}
    cpu = {n: [] for n in servers}
    concurrence_cpu = {n: [] for n in servers}
    peak = {n: [] for n in servers}
    units = {}
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB, "vsftpd": VSFTPD_Writable, "pyftpdlib-atomic": PYFTPDLIB_Atomic,
               "ftpd-tls": FTPD_TLS_Ftpbench, "pyftpdlib-tls": PYFTPDLIB_TLS}
    for r in range(rounds):
        for name in servers:
            server = start(classes[name], name + "-load%d" % r, work)
            try:
                total = 0.0
                for bench in ("transfer", "concurrence"):
                    values, u, c, by_phase, by_phase_client = ftpbench(server, bench, clients, size)
                    units.update(u)
                    total += c
                    if bench == "concurrence":
                        concurrence_cpu[name].append(c)
                    for k, v in values.items():
                        figures[name].setdefault(k, []).append(v)
                    for k, v in by_phase.items():
                        phases[name].setdefault(k, []).append(v)
                    for k, v in by_phase_client.items():
                        clients_cpu[name].setdefault(k, []).append(v)
                cpu[name].append(total)
                peak[name].append(peak_rss_mib(server.proc.pid))
                print(name, "round", r, {k: v[-1] for k, v in figures[name].items()}, "cpu", total,
                      file=sys.stderr, flush=True)
            finally:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    phase_med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in phases.items()}
    client_med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in clients_cpu.items()}
    return (med, {n: statistics.median(c) for n, c in cpu.items()}, {n: statistics.median(p) for n, p in peak.items()},
            units, phase_med, client_med, {n: statistics.median(c) for n, c in concurrence_cpu.items()})


def peak_rss_mib(pid):
    """The server process's peak resident memory (VmHWM), MiB. vsftpd's sessions are processes of their own, not
    counted here."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def running_cpu_seconds(pid):
    """CPU time of pid's living threads and descendants, from the scheduler's nanosecond counters
    (`/proc/PID/task/TID/schedstat`): fine enough for a phase of a few tens of milliseconds, where `/proc/PID/stat`
    counts 10 ms ticks. Processes already reaped are not counted."""
    total = 0
    for p in tree_pids(pid):
        try:
            tasks = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for t in tasks:
            try:
                total += int(open("/proc/%d/task/%s/schedstat" % (p, t)).read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total / 1e9


def transfer_setup(work, servers, rounds, clients):
    """What ftpbench's 200-client figures add up but do not show: its clients log in one after another, then open
    their transfers one after another (TYPE I, PASV, STOR or RETR until the 150 reply) before any data moves. So
    each figure carries 200 times the server's answer latency. Medians per server, in seconds, of: the logins,
    the STOR openings, the STOR completions (1000 bytes each, until every 226), the RETR openings; and of the
    server's CPU per client in each."""
    import ftplib
    phases = ("logins", "STOR openings", "STOR completions", "RETR openings")
    results = {n: {p: [] for p in phases} for n in servers}
    cpu = {n: {p: [] for p in phases} for n in servers}
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB, "vsftpd": VSFTPD_Writable}
    floor_binary = build_login_floor(work)
    floor = []
    floor_logins(floor_binary, clients)  # the client's first logins in this process are slower: not counted
    for r in range(rounds):
        floor.append(floor_logins(floor_binary, clients))
        for name in servers:
            server = start(classes[name], name + "-setup%d" % r, work)
            sessions = []
            try:
                pid = server.proc.pid
                c0, t0 = running_cpu_seconds(pid), time.perf_counter()
                for _ in range(clients):
                    f = ftplib.FTP(timeout=30)
                    f.connect("127.0.0.1", server.port)
                    f.login(server.user, server.password)
                    sessions.append(f)
                c1, t1 = running_cpu_seconds(pid), time.perf_counter()

                def open_all(verb):
                    conns = []
                    for i, f in enumerate(sessions):
                        f.voidcmd("TYPE I")
                        conns.append(f.transfercmd("%s setup%d.bin" % (verb, i)))
                    return conns
                conns = open_all("STOR")
                c2, t2 = running_cpu_seconds(pid), time.perf_counter()
                for c in conns:
                    c.sendall(b"x" * 1000)
                    c.close()
                for f in sessions:
                    f.voidresp()
                c3, t3 = running_cpu_seconds(pid), time.perf_counter()
                conns = open_all("RETR")
                c4, t4 = running_cpu_seconds(pid), time.perf_counter()
                for c in conns:
                    while c.recv(65536):
                        pass
                    c.close()
                for f in sessions:
                    f.voidresp()
                for p, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    results[name][p].append(v)
                for p, v in zip(phases, (c1 - c0, c2 - c1, c3 - c2, c4 - c3)):
                    cpu[name][p].append(v / clients)
            finally:
                for f in sessions:
                    f.close()
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    return ({n: {p: statistics.median(v) for p, v in ph.items()} for n, ph in results.items()},
            {n: {p: statistics.median(v) for p, v in ph.items()} for n, ph in cpu.items()},
            statistics.median(floor))


def build_login_floor(work):
    """Compiles `login_floor.c`, the least a server can do for a login, into `work`; returns its path."""
    binary = os.path.join(work, "login_floor")
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "login_floor.c")
    subprocess.run(["cc", "-O2", "-o", binary, source], check=True)
    return binary


def floor_logins(binary, clients):
    """Seconds for `clients` ftplib logins one after another against `login_floor`, as `transfer_setup` times them."""
    import ftplib
    from ftp_bench import free_port
    port = free_port()
    proc = subprocess.Popen([binary, str(port)], stdout=subprocess.PIPE, text=True)
    sessions = []
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("login_floor did not start")
        t0 = time.perf_counter()
        for _ in range(clients):
            f = ftplib.FTP(timeout=30)
            f.connect("127.0.0.1", port)
            f.login("bench", "bench")
            sessions.append(f)
        return time.perf_counter() - t0
    finally:
        for f in sessions:
            f.close()
        proc.terminate()
        proc.wait()


class FTPD_PassiveRange(FTPD):
    """ftpd with a passive port range, as operators behind NAT or a firewall configure it."""
    extra = ["--passive-ports", "40000-60000"]


def small_transfers(work, servers, rounds, count):
    """Per-transfer cost: `count` 1000-byte STORs one after another on one ftplib session (TYPE I, PASV, STOR, the
    data, 226 each), against each server and against ftpd with a 20,000-port passive range. Medians per server of
    STORs per second and of the server's CPU per STOR (µs)."""
    import ftplib, io
    classes = {"ftpd": FTPD, "ftpd (passive range)": FTPD_PassiveRange, "pyftpdlib": PYFTPDLIB,
               "vsftpd": VSFTPD_Writable}
    names = [n for n in ["ftpd", "ftpd (passive range)"] + servers if n in classes and (n != "ftpd (passive range)"
                                                                                       or "ftpd" in servers)]
    names = list(dict.fromkeys(names))
    rate = {n: [] for n in names}
    cpu = {n: [] for n in names}
    data = b"x" * 1000
    for r in range(rounds):
        for name in names:
            server = start(classes[name], name.split()[0] + "-small%d" % r, work)
            try:
                f = ftplib.FTP(timeout=30)
                f.connect("127.0.0.1", server.port)
                f.login(server.user, server.password)
                for i in range(20):  # warm up: the first transfers pay for lazily built state
                    f.storbinary("STOR warm%d.bin" % i, io.BytesIO(data))
                c0, t0 = running_cpu_seconds(server.proc.pid), time.perf_counter()
                for i in range(count):
                    f.storbinary("STOR small%d.bin" % (i % 100), io.BytesIO(data))
                c1, t1 = running_cpu_seconds(server.proc.pid), time.perf_counter()
                f.quit()
                rate[name].append(count / (t1 - t0))
                cpu[name].append((c1 - c0) / count * 1e6)
            finally:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    return {n: (statistics.median(rate[n]), statistics.median(cpu[n])) for n in names}


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
            try:
                result[name] = asyncio.run(run())
            except (asyncio.TimeoutError, OSError, RuntimeError) as error:
                # A peer that cannot hold them all is reported, not the end of the whole bench.
                print(name, "did not log in %d idle sessions:" % n, repr(error), file=sys.stderr, flush=True)
                result[name] = None
            print(name, "idle KiB per session", result[name], file=sys.stderr, flush=True)
        finally:
            server.stop()
    return result


def churn(work, servers, sessions):
    """KiB of resident memory a server keeps per 1,000 closed sessions: RSS after a warm-up of 2,000 sessions, then
    after `sessions` more, each a login (anonymous), a LIST, a 20 KB RETR and a QUIT, every fifth one hanging up
    instead; one client after another, so no session is open when memory is read."""
    import ftplib, io
    result = {}
    for name in [n for n in servers if n in ("ftpd", "pyftpdlib")]:
        server = start(FTPD if name == "ftpd" else PYFTPDLIB, name + "-churn", work)
        try:
            data = os.urandom(20000)
            open(os.path.join(server.pub, "churn.bin"), "wb").write(data)

            def session(i):
                f = ftplib.FTP(timeout=30)
                f.connect("127.0.0.1", server.port)
                f.login("anonymous", "x@")
                f.cwd("pub")
                f.retrlines("LIST", lambda line: None)
                got = io.BytesIO()
                f.retrbinary("RETR churn.bin", got.write)
                assert got.getvalue() == data
                if i % 5 == 0:
                    f.close()
                else:
                    f.quit()

            def rss_kib():
                for line in open("/proc/%d/status" % server.proc.pid):
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
                return 0

            for i in range(2000):
                session(i)
            time.sleep(1)
            before = rss_kib()
            for i in range(sessions):
                session(i)
            time.sleep(1)
            result[name] = (rss_kib() - before) * 1000.0 / sessions
            print(name, "KiB kept per 1000 sessions", result[name], file=sys.stderr, flush=True)
        finally:
            server.stop()
    return result


def listings(work, servers, rounds, entries):
    """One LIST of a directory of `entries` empty files per server start, servers alternating: curl's time, the
    server's CPU (vsftpd's session process counts once reaped) and the peak resident memory the listing added to
    the server process (not vsftpd's: it lists in the session's process)."""
    classes = {"ftpd": FTPD, "pyftpdlib": PYFTPDLIB, "vsftpd": VSFTPD}
    seconds, cpu, added = ({n: [] for n in servers} for _ in range(3))
    for r in range(rounds):
        for name in servers:
            server = start(classes[name], name + "-list%d" % r, work)
            try:
                directory = os.path.join(server.pub, "many")
                os.makedirs(directory)
                for i in range(entries):
                    open(os.path.join(directory, "file-%07d.dat" % i), "w").close()
                subprocess.run(["curl", "-sS", "-o", "/dev/null", server.url], check=True)  # a first session
                before = peak_rss_mib(server.proc.pid)
                start_cpu = cpu_seconds(server.proc.pid)
                out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
                                      server.url + "many/"], capture_output=True, text=True, check=True)
                time.sleep(1)  # vsftpd's session process ends and is reaped
                took, size = out.stdout.split()
                if int(size) < entries * 40:
                    raise RuntimeError("%s listed %s bytes for %d entries" % (name, size, entries))
                seconds[name].append(float(took))
                cpu[name].append(cpu_seconds(server.proc.pid) - start_cpu)
                added[name].append(peak_rss_mib(server.proc.pid) - before)
            finally:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    med = lambda d: {n: statistics.median(v) for n, v in d.items()}
    return med(seconds), med(cpu), med(added)


def cipher_cost(cipher):
    """CPU seconds per GiB of `cipher` alone on one core, from `openssl speed -evp` (16 KiB blocks)."""
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "-bytes", "16384", "-evp", cipher],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.lower().startswith(cipher.lower()):
            kbytes = float(line.split()[-1].rstrip("k"))
            return (1 << 30) / (kbytes * 1000)
    raise RuntimeError("no figure for %s in openssl speed's output" % cipher)


def curl_cost(server, big, gib, runs, tls):
    """Medians of the server's CPU seconds per GiB for a curl RETR and a curl STOR of `big` (published as big.bin)."""
    retr, stor = [], []
    for i in range(runs):
        before = cpu_seconds(server.proc.pid)
        subprocess.run(["curl"] + tls + [server.url + "big.bin", "-o", "/dev/null"], check=True)
        retr.append((cpu_seconds(server.proc.pid) - before) / gib)
        before = cpu_seconds(server.proc.pid)
        subprocess.run(["curl"] + tls + ["-T", big, server.url + "up%d.bin" % i], check=True)
        stor.append((cpu_seconds(server.proc.pid) - before) / gib)
        os.remove(os.path.join(server.pub, "up%d.bin" % i))
    return statistics.median(retr), statistics.median(stor)


def sealing_ab(work, big, gib, runs):
    """Server CPU s/GiB for curl TLS 1.3 RETRs from ftpd sealing its own records against the same ftpd with
    `--tls-openssl-records` (OpenSSL's record layer), alternating run by run: medians of each and of the paired
    ratios, so the minute-to-minute drift of this machine cancels out."""
    servers = []
    for name, flags in (("sealed", []), ("openssl-records", ["--tls-openssl-records"])):
        server = FTPD_TLS("ftpd", os.path.join(work, "ftpd-" + name))
        server.tls_flags = flags
        os.makedirs(server.workdir, exist_ok=True)
        server.start()
        servers.append(server)
    costs = {s.workdir: [] for s in servers}
    try:
        for s in servers:
            publish(s, big)
        for i in range(runs):
            for s in (servers if i % 2 == 0 else servers[::-1]):
                tls = ["--ssl-reqd", "--tlsv1.3", "--cacert", s.cert + "/cert.pem", "-sS"]
                before = cpu_seconds(s.proc.pid)
                subprocess.run(["curl"] + tls + [s.url + "big.bin", "-o", "/dev/null"], check=True)
                costs[s.workdir].append((cpu_seconds(s.proc.pid) - before) / gib)
    finally:
        for s in servers:
            s.stop()
    sealed, openssl = costs[servers[0].workdir], costs[servers[1].workdir]
    paired = [a / b for a, b in zip(sealed, openssl) if b > 0]
    return statistics.median(sealed), statistics.median(openssl), statistics.median(paired)


def ftps_cost(work, size_mib, runs):
    """Server CPU s/GiB for FTPS RETR and STOR with curl, the negotiated suite, the cipher's own cost, and the same
    transfers without TLS (RETR by sendfile), which is what moving the bytes costs before any encryption."""
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
        retr, stor = curl_cost(server, big, gib, runs, tls)
    finally:
        server.stop()
    sealing = sealing_ab(work, big, gib, max(runs, 4))
    plain_server = FTPD("ftpd", os.path.join(work, "ftpd-plain-cost"))
    os.makedirs(plain_server.workdir, exist_ok=True)
    plain_server.start()
    try:
        publish(plain_server, big)
        plain = curl_cost(plain_server, big, gib, runs, ["-sS"])
    finally:
        plain_server.stop()
        os.remove(big)
    cipher = "aes-256-gcm" if "AES_256_GCM" in suite or "AES256-GCM" in suite else (
        "aes-128-gcm" if "AES_128_GCM" in suite or "AES128-GCM" in suite else "chacha20-poly1305")
    return suite, cipher, cipher_cost(cipher), retr, stor, plain, sealing


# What `perf stat` counts over one concurrence bench: the CPU, then the system calls a server makes for the I/O
# (socket reads are `read` for NIO and `recvfrom` for Python's sockets), then what ftpd adds by handing work between
# threads, then first touches of memory.
SYSCALL_EVENTS = [("server CPU (ms)", "task-clock"), ("context switches", "context-switches"),
                  ("socket and file reads (read)", "syscalls:sys_enter_read"),
                  ("socket reads (recvfrom)", "syscalls:sys_enter_recvfrom"),
                  ("write", "syscalls:sys_enter_write"), ("sendfile", "syscalls:sys_enter_sendfile64"),
                  ("epoll_wait", "syscalls:sys_enter_epoll_wait"), ("epoll_ctl", "syscalls:sys_enter_epoll_ctl"),
                  ("futex", "syscalls:sys_enter_futex"), ("wake-ups of other threads", "sched:sched_wakeup"),
                  ("page faults", "page-faults")]


def perf_usable():
    """Whether `perf stat` can count the events above here (the tool installed, tracepoints readable)."""
    if not shutil.which("perf"):
        return False
    probe = subprocess.run(["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_futex", "true"],
                           capture_output=True, text=True)
    return probe.returncode == 0 and "not supported" not in probe.stderr and "<not counted>" not in probe.stderr


def syscall_counts(work, rounds, clients, size):
    """Medians per server ({ftpd, pyftpdlib-atomic}) of each event over one ftpbench concurrence bench, a fresh
    server per bench and the servers alternating round by round; also the 200-client STOR time of each bench."""
    classes = {"ftpd": FTPD, "pyftpdlib-atomic": PYFTPDLIB_Atomic}
    counts = {n: {label: [] for label, _ in SYSCALL_EVENTS} for n in classes}
    stor = {n: [] for n in classes}
    for r in range(rounds):
        for name, cls in classes.items():
            server = start(cls, name + "-syscalls%d" % r, work)
            try:
                perf = subprocess.Popen(["perf", "stat", "-x", ",", "-p", str(server.proc.pid), "-e",
                                         ",".join(e for _, e in SYSCALL_EVENTS)],
                                        stderr=subprocess.PIPE, text=True)
                time.sleep(0.3)  # perf attaches to every thread before the bench starts
                values, _, _, _, _ = ftpbench(server, "concurrence", clients, size)
                perf.send_signal(signal.SIGINT)
                report = perf.communicate(timeout=30)[1]
                by_event = {}
                for row in report.splitlines():
                    parts = row.split(",")
                    if len(parts) > 2 and parts[0].replace(".", "", 1).isdigit():
                        by_event[parts[2]] = float(parts[0])
                for label, event in SYSCALL_EVENTS:
                    counts[name][label].append(by_event.get(event, 0.0))
                stor[name] += [v for k, v in values.items() if "concurrent clients (STOR" in k]
                print(name, "syscalls round", r, {k: v[-1] for k, v in counts[name].items()}, file=sys.stderr,
                      flush=True)
            finally:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
    return ({n: {k: statistics.median(v) for k, v in c.items()} for n, c in counts.items()},
            {n: statistics.median(v) if v else float("nan") for n, v in stor.items()})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--size", default="10M")
    ap.add_argument("--servers", default="ftpd,pyftpdlib,vsftpd")
    ap.add_argument("--logins", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--tls-mib", type=int, default=512)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--listing", type=int, default=200000)
    ap.add_argument("--churn", type=int, default=20000)
    ap.add_argument("--only", default="load,tlsload,setup,small,tls,logins,idle,churn,listing,syscalls")
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
            # With pyftpdlib, also pyftpdlib storing uploads whole as ftpd does: the like-for-like CPU figure.
            load_servers = servers + (["pyftpdlib-atomic"] if "pyftpdlib" in servers else [])
            med, cpu, peak, units, phase_cpu, client_cpu, concurrence_cpu = load(work, load_servers, args.rounds, args.clients, args.size)
            lines += ["ftpbench (`-b transfer` and `-b concurrence -n %d -s %s`), medians of %d rounds; ratio: ftpd "
                      "against pyftpdlib, above 1 is better for ftpd:" % (args.clients, args.size, args.rounds), "",
                      "| figure | " + " | ".join(load_servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(load_servers) + 1)]
            for figure in med.get("ftpd", {}):
                row = [("%.2f" % med[n][figure]) if figure in med[n] else "-" for n in load_servers]
                ratio = "-"
                if "pyftpdlib" in med and figure in med["pyftpdlib"]:
                    o, p = med["ftpd"][figure], med["pyftpdlib"][figure]
                    if units[figure] == "secs" and max(o, p) <= 0.01:
                        ratio = "n/a (both ≤ 0.01 s)"
                    elif min(o, p) > 0:
                        ratio = "%.2f×" % ((o / p) if units[figure] == "MB/sec" else (p / o))
                lines.append("| %s (%s) | %s | %s |" % (figure, units[figure], " | ".join(row), ratio))
            lines.append("| server CPU over both benches (s) | %s | %s |" % (
                " | ".join("%.2f" % cpu[n] for n in load_servers),
                "%.2f×" % (cpu["ftpd"] / cpu["pyftpdlib"]) if "pyftpdlib" in cpu else "-"))
            lines.append("| server CPU over the concurrence bench (s) | %s | %s |" % (
                " | ".join("%.2f" % concurrence_cpu[n] for n in load_servers),
                "%.2f× (target ≤ 0.67×)" % (concurrence_cpu["ftpd"] / concurrence_cpu["pyftpdlib"])
                if "pyftpdlib" in concurrence_cpu else "-"))
            if "pyftpdlib-atomic" in concurrence_cpu:
                lines.append("| server CPU over the concurrence bench, like for like: ftpd against pyftpdlib storing "
                             "each upload whole (temporary file, then rename) | %s | %.2f× |" % (
                                 " | ".join("%.2f" % concurrence_cpu[n] for n in load_servers),
                                 concurrence_cpu["ftpd"] / concurrence_cpu["pyftpdlib-atomic"]))
            lines.append("| server peak resident memory, MiB (vsftpd: its parent process only) | %s | %s |" % (
                " | ".join("%.0f" % peak[n] for n in load_servers),
                "%.2f×" % (peak["pyftpdlib"] / peak["ftpd"]) if "pyftpdlib" in peak and peak["ftpd"] > 0 else "-"))
            lines += ["", "Server CPU seconds per ftpbench phase (read as each result line appears; what a server "
                      "still does after a phase's clock stopped counts in the next line), medians of %d rounds; ratio: "
                      "ftpd's CPU against pyftpdlib's, below 1 is better for ftpd:" % args.rounds, "",
                      "| phase | " + " | ".join(load_servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(load_servers) + 1)]
            for figure in phase_cpu.get("ftpd", {}):
                row = [("%.2f" % phase_cpu[n][figure]) if figure in phase_cpu[n] else "-" for n in load_servers]
                p = phase_cpu.get("pyftpdlib", {}).get(figure)
                ratio = "%.2f×" % (phase_cpu["ftpd"][figure] / p) if p else "-"
                lines.append("| %s | %s | %s |" % (figure, " | ".join(row), ratio))
            lines += ["", "ftpbench's own CPU seconds per phase. It is one single-threaded Python process, so no phase "
                      "can take less time than this, whatever the server. The last column is the best ratio any "
                      "server could reach against pyftpdlib's time, with ftpbench costing what it cost against the "
                      "cheapest server:", "",
                      "| phase | " + " | ".join(load_servers) + " | best reachable vs pyftpdlib |",
                      "|---|" + "---|" * (len(load_servers) + 1)]
            for figure in client_cpu.get("ftpd", {}):
                if units.get(figure) != "secs":
                    continue  # the transfer bench's figures are rates over a fixed time, not phase times
                row = [("%.2f" % client_cpu[n][figure]) if figure in client_cpu[n] else "-" for n in load_servers]
                floor = min(client_cpu[n][figure] for n in load_servers if figure in client_cpu[n])
                p = med.get("pyftpdlib", {}).get(figure)
                best = "%.2f×" % (p / floor) if p and floor > 0.01 else "-"
                lines.append("| %s | %s | %s |" % (figure, " | ".join(row), best))
            lines.append("")
        if "tlsload" in only:
            # The same ftpbench over FTPS (`-S`): ftpd against pyftpdlib's TLS_FTPHandler.
            tls_servers = ["ftpd-tls", "pyftpdlib-tls"]
            med, cpu, peak, units, _, _, concurrence_cpu = load(work, tls_servers, args.rounds, args.clients, args.size)
            lines += ["ftpbench over FTPS (`-S`: `-b transfer` and `-b concurrence -n %d -s %s`), medians of %d "
                      "rounds; ftpd with `--allow-tls-without-reuse --allow-tls-upload-without-close-notify` (ftplib "
                      "does neither), pyftpdlib's TLS_FTPHandler; ratio: above 1 is better for ftpd:"
                      % (args.clients, args.size, args.rounds), "",
                      "| figure | ftpd | pyftpdlib | ftpd vs pyftpdlib |", "|---|---|---|---|"]
            for figure in med.get("ftpd-tls", {}):
                o, p = med["ftpd-tls"][figure], med["pyftpdlib-tls"].get(figure)
                ratio = "-"
                if p is not None and units[figure] == "secs" and max(o, p) <= 0.01:
                    ratio = "n/a (both ≤ 0.01 s)"
                elif p is not None and min(o, p) > 0:
                    ratio = "%.2f×" % ((o / p) if units[figure] == "MB/sec" else (p / o))
                lines.append("| %s (%s) | %.2f | %s | %s |" % (figure, units[figure], o,
                                                               "-" if p is None else "%.2f" % p, ratio))
            lines.append("| server CPU over both benches (s; below 1 is better for ftpd) | %.2f | %.2f | %.2f× |" % (
                cpu["ftpd-tls"], cpu["pyftpdlib-tls"], cpu["ftpd-tls"] / cpu["pyftpdlib-tls"]))
            lines.append("| server CPU over the concurrence bench (s) | %.2f | %.2f | %.2f× |" % (
                concurrence_cpu["ftpd-tls"], concurrence_cpu["pyftpdlib-tls"],
                concurrence_cpu["ftpd-tls"] / concurrence_cpu["pyftpdlib-tls"]))
            lines.append("| server peak resident memory (MiB) | %.0f | %.0f | |" % (peak["ftpd-tls"], peak["pyftpdlib-tls"]))
            lines.append("")
        if "setup" in only:
            med, per_client, floor = transfer_setup(work, servers, args.rounds, args.clients)
            lines += ["%d clients one after another, as ftpbench opens them (seconds, medians of %d rounds; ratio: "
                      "ftpd against pyftpdlib, above 1 is better for ftpd):" % (args.clients, args.rounds), "",
                      "| phase | " + " | ".join(servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(servers) + 1)]
            for phase in med[servers[0]]:
                ratio = ("%.2f×" % (med["pyftpdlib"][phase] / med["ftpd"][phase])
                         if "pyftpdlib" in med and "ftpd" in med else "-")
                lines.append("| %s | %s | %s |" % (phase, " | ".join("%.3f" % med[n][phase] for n in servers), ratio))
            best = ("%.2f×" % (med["pyftpdlib"]["logins"] / floor)) if "pyftpdlib" in med else "-"
            lines += ["", "The same logins against `login_floor.c` (one C thread, epoll, fixed replies, nothing else: "
                      "the least any server can do for a login): %.3f s, median of %d rounds, alternating with the "
                      "servers. So the best ratio any server could show against pyftpdlib here is **%s** (target "
                      "≥ 1.5×); the rest is ftplib, loopback TCP and the wake-ups." % (floor, args.rounds, best)]
            lines += ["", "The server's CPU per client in each of those phases (µs, its living threads and processes; "
                      "ratio: ftpd's against pyftpdlib's, below 1 is better for ftpd):", "",
                      "| phase | " + " | ".join(servers) + " | ftpd vs pyftpdlib |",
                      "|---|" + "---|" * (len(servers) + 1)]
            for phase in per_client[servers[0]]:
                ratio = ("%.2f×" % (per_client["ftpd"][phase] / per_client["pyftpdlib"][phase])
                         if "pyftpdlib" in per_client and "ftpd" in per_client and per_client["pyftpdlib"][phase] > 0
                         else "-")
                lines.append("| %s | %s | %s |" % (
                    phase, " | ".join("%.0f" % (per_client[n][phase] * 1e6) for n in servers), ratio))
            lines.append("")
        if "small" in only:
            small = small_transfers(work, servers, args.rounds, args.small)
            lines += ["%d small uploads (1000 bytes) one after another on one session, medians of %d rounds; ratio: "
                      "against pyftpdlib, above 1 is better for the server of the row:" % (args.small, args.rounds), "",
                      "| server | STORs per second | server CPU per STOR (µs) | STORs/s vs pyftpdlib |",
                      "|---|---|---|---|"]
            for name, (per_second, micros) in small.items():
                ratio = "%.2f×" % (per_second / small["pyftpdlib"][0]) if "pyftpdlib" in small else "-"
                lines.append("| %s | %.0f | %.0f | %s |" % (name, per_second, micros, ratio))
            lines.append("")
        if "tls" in only:
            suite, cipher, cost, retr, stor, (plain_retr, plain_stor), sealing = ftps_cost(
                work, args.tls_mib, args.rounds)
            lines += ["FTPS with curl (%d MiB, median of %d): ftpd's CPU seconds per GiB against %s alone "
                      "(`openssl speed -evp %s -bytes 16384`, one core: %.3f s/GiB); curl negotiated %s. Without "
                      "TLS the same transfers cost what moving the bytes costs (RETR by sendfile), so a TLS server "
                      "cannot spend less than that plus the cipher: the floor column."
                      % (args.tls_mib, args.rounds, cipher, cipher, cost, suite), "",
                      "| direction | server CPU s/GiB | × cipher | target | without TLS | floor (without TLS + cipher) "
                      "| TLS's own cost (TLS − without) × cipher |", "|---|---|---|---|---|---|---|",
                      "| RETR (sent) | %.3f | %.2f× | ≤ 2.0× | %.3f | %.2f× | %.2f× |"
                      % (retr, retr / cost, plain_retr, (plain_retr + cost) / cost, (retr - plain_retr) / cost),
                      "| STOR (received) | %.3f | %.2f× | ≤ 2.5× | %.3f | %.2f× | %.2f× |"
                      % (stor, stor / cost, plain_stor, (plain_stor + cost) / cost, (stor - plain_stor) / cost), "",
                      "TLS 1.3 RETR, ftpd sealing its records against the same ftpd with `--tls-openssl-records` "
                      "(OpenSSL's record layer), alternating run by run (server CPU s/GiB, medians; below 1 is better "
                      "for sealing):", "",
                      "| sealed by ftpd | OpenSSL's record layer | paired ratio |", "|---|---|---|",
                      "| %.3f | %.3f | %.2f× |" % sealing, ""]
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
            lines += ["| %s | %s%s |" % (n, "did not manage" if v is None else "%.1f" % v, " (target ≤ 32)" if n == "ftpd" else "")
                      for n, v in idle.items()]
            lines.append("")
        if "churn" in only:
            kept = churn(work, servers, args.churn)
            lines += ["Memory kept by connections that came and went: resident memory added per 1,000 sessions over "
                      "%d sessions one after another (login, LIST, RETR of 20 KB, QUIT or a hang-up), after 2,000 to "
                      "warm up; near 0 is right, a steady figure above it is a leak:" % args.churn, "",
                      "| server | KiB kept per 1,000 sessions |", "|---|---|"]
            lines += ["| %s | %.1f |" % (n, v) for n, v in kept.items()]
            lines.append("")
        if "listing" in only:
            took, cpu, added = listings(work, servers, args.rounds, args.listing)
            lines += ["LIST of one directory of %d entries with curl, medians of %d rounds (one listing per server "
                      "start); ratio: the server's time over ftpd's, above 1 is better for ftpd:" % (args.listing,
                                                                                                  args.rounds), "",
                      "| server | seconds | server CPU (s) | peak memory added (MiB) | vs ftpd |", "|---|---|---|---|---|"]
            for n in servers:
                memory = "(in its session process)" if n == "vsftpd" else "%.0f" % added[n]
                ratio = "%.2f×" % (took[n] / took["ftpd"]) if "ftpd" in took and took["ftpd"] > 0 else "-"
                lines.append("| %s | %.2f | %.2f | %s | %s |" % (n, took[n], cpu[n], memory, ratio))
            lines.append("")
        if "syscalls" in only and not perf_usable():
            lines += ["System calls per bench: not counted (`perf stat` cannot trace system calls here).", ""]
        elif "syscalls" in only:
            counts, stor = syscall_counts(work, args.rounds, args.clients, args.size)
            lines += ["One `ftpbench -b concurrence -n %d -s %s` counted by `perf stat` attached to the server, a fresh "
                      "server per bench, medians of %d rounds; ratio: ftpd's count over pyftpdlib-atomic's (the same "
                      "work: uploads stored whole, then renamed), below 1 is better for ftpd:"
                      % (args.clients, args.size, args.rounds), "",
                      "| per bench | ftpd | pyftpdlib-atomic | ftpd vs pyftpdlib-atomic |", "|---|---|---|---|"]
            reads = ("socket and file reads (read)", "socket reads (recvfrom)")
            for c in counts.values():  # NIO reads sockets with read, Python with recvfrom: one row for both
                c["reads (read + recvfrom)"] = sum(c.pop(label) for label in reads)
            for label in counts["ftpd"]:
                o, p = counts["ftpd"][label], counts["pyftpdlib-atomic"][label]
                lines.append("| %s | %.0f | %.0f | %s |" % (label, o, p, "%.2f×" % (o / p) if p > 0 else "-"))
            lines += ["| %d-client STOR, the same benches (s) | %.2f | %.2f | %.2f× |" % (
                args.clients, stor["ftpd"], stor["pyftpdlib-atomic"], stor["ftpd"] / stor["pyftpdlib-atomic"]), ""]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(lines)
    print(table)
    if args.output:
        open(args.output, "w").write(table + "\n")


if __name__ == "__main__":
    main()
