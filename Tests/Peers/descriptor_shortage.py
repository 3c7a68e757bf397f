"""A server that runs out of file descriptors: more clients connect than its open-files limit allows.

The server (pid PID, writing its log to LOG) must keep the clients it could not accept waiting rather than spin
(its CPU stays low while they wait), say why in its log once (not per failed accept), and serve the waiting clients
as soon as sessions end: each then gets its greeting, and a fresh ftplib client logs in and lists.

usage: descriptor_shortage.py HOST PORT PID LOG
Prints each failed expectation and exits 1; prints "ok" and exits 0 otherwise."""
import ftplib
import os
import selectors
import socket
import sys
import time

host, port, pid, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
SENTENCE = "cannot accept connections: the server has used all the file descriptors its open-files limit allows"
WAITING = 40
failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)


def soft_limit():
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise RuntimeError("no open-files limit for pid %d" % pid)


def cpu_ticks():
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def greeted_within(socks, seconds):
    """The sockets of `socks` that received a 220 greeting within `seconds` (read until no more arrive)."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    got, deadline = set(), time.monotonic() + seconds
    while len(got) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            data = key.fileobj.recv(200)
            sel.unregister(key.fileobj)
            if data.startswith(b"220"):
                got.add(key.fileobj)
    sel.close()
    return got


used = len(os.listdir("/proc/%d/fd" % pid))
count = soft_limit() - used + WAITING
clients = [socket.create_connection((host, port), timeout=10) for _ in range(count)]
greeted = greeted_within(clients, 5)
waiting = [s for s in clients if s not in greeted]
expect(len(greeted) > 0, "no client was greeted")
expect(len(waiting) >= WAITING // 2,
       "only %d of %d clients wait: the limit was not reached (%d fds used, limit %d)"
       % (len(waiting), count, used, soft_limit()))

# While clients wait in the queue, the server must not spin on the accepts it cannot make.
ticks_per_second = os.sysconf("SC_CLK_TCK")
before = cpu_ticks()
time.sleep(2)
spent = (cpu_ticks() - before) / ticks_per_second
expect(spent < 0.5, "the server used %.2f CPU-seconds in 2 s while clients waited (spinning on accept)" % spent)

text = open(log, errors="replace").read()
lines = [l for l in text.splitlines() if SENTENCE in l]
expect(len(lines) >= 1, "the log does not say why clients wait")
expect(len(lines) <= 4, "the log repeats the shortage %d times" % len(lines))

# Sessions end: every waiting client is greeted, and a new client is served whole.
released = list(greeted)[:len(waiting) + 10]
for s in released:
    s.close()
late = greeted_within(waiting, 20)
expect(len(late) == len(waiting), "%d of %d waiting clients were greeted once sessions ended" % (len(late), len(waiting)))
for s in clients:
    s.close()
time.sleep(0.5)
try:
    f = ftplib.FTP()
    f.connect(host, port, timeout=20)
    f.login("anonymous", "guest@")
    f.nlst()
    f.quit()
except Exception as e:  # noqa: BLE001 - any failure is the finding
    expect(False, "a new client after the shortage failed: %r" % e)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
