"""Random command sequences against our server, logged in, seeded so a failure can be replayed.

usage: fuzz_commands.py HOST PORT USER PASSWORD ROOT SEED SESSIONS

Each session sends 1-30 commands drawn from every command the server knows, with hostile arguments (random
bytes, traversal, very long lines, odd numbers, NULs, bare CR or LF endings), then vanishes, often in the middle
of something. Afterwards: the server still serves, nothing was written outside ROOT, and no temporary upload is
left behind. PORT and EPRT only name privileged or invalid ports, so the server never connects to another
test's listener.
"""
import ftplib, os, random, socket, sys, time

host, port, user, password, root = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
seed, sessions = int(sys.argv[6]), int(sys.argv[7])
rng = random.Random(seed)

COMMANDS = [b"CWD", b"CDUP", b"PWD", b"LIST", b"NLST", b"MLSD", b"MLST", b"RETR", b"STOR", b"APPE", b"STOU",
            b"DELE", b"RMD", b"MKD", b"RNFR", b"RNTO", b"REST", b"SIZE", b"MDTM", b"MFMT", b"HASH", b"OPTS", b"FEAT",
            b"SYST", b"TYPE", b"MODE", b"STRU", b"PORT", b"EPRT", b"PASV", b"EPSV", b"ABOR", b"STAT", b"NOOP",
            b"AUTH", b"PBSZ", b"PROT", b"CCC", b"AVBL", b"SITE", b"HELP", b"ALLO", b"USER", b"QUIT", b"XYZZY"]


def argument():
    r = rng.random()
    if r < 0.15:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))).replace(b"\n", b"").replace(b"\r", b"")
    if r < 0.3:
        return b"../" * rng.randint(1, 20) + rng.choice([b"etc/passwd", b"outside.txt", b""])
    if r < 0.4:
        return b"A" * rng.randint(100, 5000)
    if r < 0.5:
        return b"|" + rng.choice([b"1", b"2", b"9", b""]) + b"|127.0.0.1|" + str(rng.randint(-5, 1023)).encode() + b"|"
    if r < 0.6:
        return b"127,0,0,1," + b",".join(str(rng.randint(-1, 3)).encode() for _ in range(rng.randint(1, 3)))
    if r < 0.8:
        return rng.choice([b"I", b"A", b"E", b"L 8", b"SHA-256", b"UTF8 ON", b"TLS", b"P", b"C", b"0", b"-1", b"F",
                           b"99999999999999999999", b"20260101000000 f.txt", b"HASH SHA-1", b"MLST size;type;"])
    return b"/" + b"/".join(rng.choice([b"a", b"..", b".", b"\xff\xfe", b"b c", b"\x00", b"f.txt", b"d"])
                            for _ in range(rng.randint(0, 6)))


def check(cond, what):
    if not cond:
        print("FAILED (seed %d):" % seed, what)
        sys.exit(1)


parent = os.path.dirname(os.path.abspath(root).rstrip("/"))
before = sorted(os.listdir(parent))
with open(os.path.join(root, "f.txt"), "wb") as fh:
    fh.write(b"fuzz target")

for _ in range(sessions):
    s = socket.create_connection((host, port), timeout=60)
    s.recv(1000)
    # The whole session is drawn before anything is sent, so a seed replays the same bytes however the
    # server answers.
    lines = [rng.choice(COMMANDS) + (b" " + argument() if rng.random() < 0.8 else b"")
             + rng.choice([b"\r\n", b"\r\n", b"\n", b"\r", b""]) for _ in range(rng.randint(1, 30))]
    try:
        s.sendall(b"USER " + user.encode() + b"\r\nPASS " + password.encode() + b"\r\n")
        for line in lines:
            s.sendall(line)
    except (BrokenPipeError, ConnectionResetError):
        # The server may end a session on its own (QUIT, a second USER after too many failures, a line
        # past the limit); that is an answer, not a failure. Whether it still serves is checked below.
        pass
    s.settimeout(0.2)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()

# The server is alive and still serves a login and a download.
f = ftplib.FTP()
f.connect(host, port, timeout=60)
f.login(user, password)
names = f.nlst("/")
check(isinstance(names, list), "listing after fuzzing")
f.quit()

# Nothing escaped the root; temporary uploads of vanished sessions are gone within a few seconds.
check(sorted(os.listdir(parent)) == before, "files appeared outside the root: %r" % sorted(set(os.listdir(parent)) - set(before)))
deadline = time.time() + 5
leftovers = []
while time.time() < deadline:
    leftovers = [os.path.join(d, n) for d, _, files in os.walk(root) for n in files if n.startswith(".seed-upload")]
    if not leftovers:
        break
    time.sleep(0.1)
check(not leftovers, "temporary uploads left behind: %r" % leftovers)
print("ok")
