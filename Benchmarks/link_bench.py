"""Share links and the web upload page against direct FTP, side by side in one run, curl as the client.

One ftpd node (release build), ftpbot (release) in console mode over it with replicas 1 and its web front end.
Downloads: curl from the link vs curl straight from the node (RETR). Uploads: curl -T to an upload link (PUT)
vs curl -T straight to the node (STOR). Runs alternate; prints speeds, their ratio, and the CPU seconds per GiB
the serving processes spent. Run through scripts/bench.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftp_bench import ROOT, cpu_seconds, stop_process, curl_speed, free_port, wait_port  # noqa: E402


class Bot:
    def __init__(self, work, node_port):
        self.http = free_port()
        config = {"nodes": [{"name": "n0", "host": "127.0.0.1", "port": node_port, "user": "bot", "password": "benchpw"}],
                  "replicas": 1, "dataDirectory": os.path.join(work, "bot"),
                  "http": {"address": "127.0.0.1:%d" % self.http}}
        path = os.path.join(work, "ftpbot.json")
        json.dump(config, open(path, "w"))
        env = dict(os.environ)
        env.pop("DISCORD_TOKEN", None)
        # LINK_BENCH_WRAP runs the bot under a profiler, e.g. "valgrind --tool=callgrind --callgrind-out-file=cg.out".
        wrap = os.environ.get("LINK_BENCH_WRAP", "").split()
        self.proc = subprocess.Popen(wrap + [os.path.join(ROOT, ".build/release/ftpbot"), "--config", path], cwd=work, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def ask(self, line, until):
        """Sends a command; returns the first answer line for which `until` holds (notices of web uploads finishing
        arrive on the same output, in between)."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        while True:
            out = self.proc.stdout.readline()
            if not out:
                raise RuntimeError("ftpbot stopped while answering " + line)
            if until(out.rstrip("\n")):
                return out.rstrip("\n")

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def measured(pids, args):
    before = sum(cpu_seconds(p) for p in pids)
    speed = curl_speed(args)
    return speed, sum(cpu_seconds(p) for p in pids) - before


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # memory, so the disk's noise is not measured
    work = tempfile.mkdtemp(prefix="link-bench-", dir=base)
    ftpd = os.path.join(ROOT, ".build/release/ftpd")
    procs = []
    try:
        root = os.path.join(work, "root")
        os.makedirs(root)
        users = os.path.join(work, "users.json")
        subprocess.run([ftpd, "user", "add", "--users", users, "--iterations", "1000", "bot",
                        "--permissions", "read,write,delete,rename,mkdir"], input="benchpw\n", text=True, check=True,
                       capture_output=True)
        port = free_port()
        node = subprocess.Popen([ftpd, "serve", "--root", root, "--users", users, "--address", "127.0.0.1",
                                 "--port", str(port), "--log-level", "error"])
        procs.append(node)
        wait_port(port)
        big = os.path.join(work, "big.bin")
        with open(big, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(args.size_mib):
                f.write(block)
        bot = Bot(work, port)
        procs.append(bot.proc)
        answer = bot.ask("!upload " + big, lambda l: l.startswith(("Uploaded", "Sorry", "No file")))
        assert answer.startswith("Uploaded big.bin"), answer
        link = bot.ask("!link big.bin", lambda l: l.startswith("http"))
        direct = "ftp://bot:benchpw@127.0.0.1:%d/console/big.bin" % port
        gib = args.size_mib / 1024
        rows = {"download": {"link": [], "direct": []}, "upload": {"link": [], "direct": []}}
        for run in range(args.runs):
            for kind in (("direct", "link") if run % 2 == 0 else ("link", "direct")):
                if kind == "link":
                    s, cpu = measured([bot.proc.pid, node.pid], ["-o", "/dev/null", link])
                else:
                    s, cpu = measured([node.pid], ["-o", "/dev/null", direct])
                rows["download"][kind].append((s, cpu / gib))
            for kind in (("direct", "link") if run % 2 == 0 else ("link", "direct")):
                name = "up-%s-%d.bin" % (kind, run)
                if kind == "link":
                    page = bot.ask("!uploadlink", lambda l: l.startswith("http"))
                    s, cpu = measured([bot.proc.pid, node.pid], ["-o", "/dev/null", "-T", big, page + "/" + name])
                    bot.ask("!delete " + name, lambda l: l.startswith(("Deleted", "No file", "Sorry")))
                else:
                    s, cpu = measured([node.pid], ["-T", big, "ftp://bot:benchpw@127.0.0.1:%d/%s" % (port, name)])
                    os.remove(os.path.join(root, name))
                rows["upload"][kind].append((s, cpu / gib))
        bot.stop()
        print("\n## Links vs direct FTP (%d MiB, %d runs, curl, replicas 1, files in /dev/shm)\n" % (args.size_mib, args.runs))
        print("| transfer | link MB/s (median, best) | direct MB/s (median, best) | ratio median / best | server CPU s/GiB link vs direct |")
        print("|---|---|---|---|---|")
        for what, label in (("download", "GET link vs RETR"), ("upload", "PUT link vs STOR")):
            l = [s for s, _ in rows[what]["link"]]
            d = [s for s, _ in rows[what]["direct"]]
            lc = statistics.median(c for _, c in rows[what]["link"])
            dc = statistics.median(c for _, c in rows[what]["direct"])
            print("| %s | %.0f, %.0f | %.0f, %.0f | %.2f× / %.2f× | %.2f vs %.2f |" % (
                label, statistics.median(l) / 1e6, max(l) / 1e6, statistics.median(d) / 1e6, max(d) / 1e6,
                statistics.median(l) / statistics.median(d), max(l) / max(d), lc, dc))
    finally:
        for p in procs:
            stop_process(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
