"""Importing this ends the process once the process that started it is gone (the test process, even after a
crash), and `python3 die_with_parent.py COMMAND [ARG...]` runs a program that does the same.

PR_SET_PDEATHSIG alone is not enough: it fires when the *thread* that started the child ends, not the process,
and the tests start their servers from pool threads that end when idle. A pyftpdlib started that way was killed
five seconds into a client's paused upload. So the parent is watched by its process id; a program that cannot
watch (vsftpd) runs under this script, whose main thread lives as long as it does, with PR_SET_PDEATHSIG from it.
"""
import ctypes, os, signal, subprocess, sys, threading, time


def _watch(parent):
    while parent != 1 and os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


_parent = os.getppid()

if __name__ == "__main__":
    me = os.getpid()

    def arm():
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
        if os.getppid() != me:  # this script ended before the death signal was armed
            os._exit(1)

    child = subprocess.Popen(sys.argv[1:], preexec_fn=arm)
    while True:
        try:
            sys.exit(child.wait(timeout=0.2))
        except subprocess.TimeoutExpired:
            if os.getppid() != _parent:
                child.kill()
                sys.exit(1)
else:
    threading.Thread(target=_watch, args=(_parent,), daemon=True, name="die-with-parent").start()
