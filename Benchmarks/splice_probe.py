#!/usr/bin/env python3
"""Issue 17 probe: the CPU a receiver spends taking N MiB from a loopback socket into a new file on /dev/shm,
by recv + write (what ftpd's upload loop does) or by splice (socket -> pipe -> file, no copy through user space).

Usage: splice_probe.py recv|splice MIB. A forked child sends; the parent's own CPU (user + system) is reported.
Docs/benchmarks.md has the figures and why ftpd did not take splice.
"""
import fcntl
import os
import resource
import socket
import sys
import time

F_SETPIPE_SZ = 1031
CHUNK = 256 << 10


def send_all(port, size):
    c = socket.create_connection(("127.0.0.1", port))
    block = b"x" * (1 << 20)
    left = size
    while left > 0:
        left -= c.send(block[:min(left, len(block))])
    c.close()


def receive(mode, sock, fd):
    got = 0
    if mode == "recv":
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while (n := sock.recv_into(buf)) > 0:
            os.write(fd, view[:n])
            got += n
    else:
        pipe_out, pipe_in = os.pipe()
        fcntl.fcntl(pipe_in, F_SETPIPE_SZ, 1 << 20)
        while (n := os.splice(sock.fileno(), pipe_in, CHUNK, flags=os.SPLICE_F_MOVE)) > 0:
            moved = 0
            while moved < n:
                moved += os.splice(pipe_out, fd, n - moved, flags=os.SPLICE_F_MOVE)
            got += n
    return got


def main():
    mode, size = sys.argv[1], int(sys.argv[2]) << 20
    assert mode in ("recv", "splice"), "mode: recv or splice"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    child = os.fork()
    if child == 0:
        listener.close()
        send_all(port, size)
        os._exit(0)
    sock, _ = listener.accept()
    path = f"/dev/shm/splice-probe-{os.getpid()}.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.time()
    got = receive(mode, sock, fd)
    after, end = resource.getrusage(resource.RUSAGE_SELF), time.time()
    os.waitpid(child, 0)
    os.close(fd)
    os.unlink(path)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{mode}: {got >> 20} MiB in {end - start:.2f} s, receiver CPU {cpu:.2f} s = {cpu / (got / 2**30):.3f} s/GiB")


if __name__ == "__main__":
    main()
