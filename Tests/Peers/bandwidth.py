"""Runs FTP transfers at the same time with Python's ftplib, one session each, and prints how long each took.

usage: bandwidth.py HOST PORT JOB...
A JOB is USER:PASSWORD:VERB:NAME:SIZE[:TYPE] — VERB RETR (downloads NAME, checks SIZE bytes arrived) or STOR
(uploads SIZE random bytes as NAME); TYPE A or I (default I). Prints one line per job, in order: when it started
and when it ended (seconds on one monotonic clock).
Exits 1 when a transfer failed or moved the wrong number of bytes."""
import ftplib
import io
import os
import sys
import threading
import time

host, port = sys.argv[1], int(sys.argv[2])
jobs = [j.split(":") for j in sys.argv[3:]]
results = [None] * len(jobs)
ready = threading.Barrier(len(jobs))


def run(i, user, password, verb, name, size, kind="I"):
    f = ftplib.FTP()
    f.connect(host, port, timeout=60)
    f.login(user, password)
    f.voidcmd("TYPE " + kind)
    received = 0

    def count(chunk):
        nonlocal received
        received += len(chunk)

    ready.wait()
    start = time.monotonic()
    if verb == "RETR":
        f.retrbinary("RETR " + name, count)
    else:
        data = os.urandom(int(size))
        f.storbinary("STOR " + name, io.BytesIO(data))
        received = len(data)
    results[i] = (start, time.monotonic(), received)
    f.quit()


threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
for t in threads:
    t.start()
for t in threads:
    t.join()
failed = False
for job, result in zip(jobs, results):
    if result is None or result[2] != int(job[4]):
        print(f"{':'.join(job)} failed: {result}", file=sys.stderr)
        failed = True
    else:
        print(f"{result[0]:.3f} {result[1]:.3f}")
sys.exit(1 if failed else 0)
