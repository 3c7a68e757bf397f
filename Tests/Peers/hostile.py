"""Hostile clients against our server. Exits non-zero with a message on failure.

usage: hostile.py HOST PORT USER PASSWORD ROOT SCENARIO
"""
import ftplib, io, os, socket, struct, sys, time

host, port, user, password, root, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def login():
    f = ftplib.FTP()
    f.connect(host, port, timeout=30)
    f.login(user, password)
    f.voidcmd("TYPE I")
    return f


def expect_error(f, cmd, codes):
    try:
        r = f.sendcmd(cmd)
    except ftplib.all_errors as e:
        r = str(e)
    check(r[:3] in codes, "%s -> %r (want %s)" % (cmd, r, codes))
    return r


def replies(f, n):
    """The codes of the next n replies, errors included (ftplib raises on 4xx/5xx)."""
    codes = []
    for _ in range(n):
        try:
            codes.append(f.getresp()[:3])
        except ftplib.all_errors as e:
            codes.append(str(e)[:3])
    return codes


def big_directory():
    """A directory of 25,000 long names: its STAT reply (about 8 MB) is far bigger than the kernel buffers hold."""
    many = os.path.join(root, "many")
    os.mkdir(many)
    for i in range(25000):
        open(os.path.join(many, "%05d-%s" % (i, "n" * 240)), "w").close()


def slow_reader():
    """A logged-in control connection with a small receive window (set before connecting: a window shrunk later
    stalls the sender on retransmission back-off), and its line reader."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect((host, port))
    f = s.makefile("rb")
    check(f.readline().startswith(b"220"), "greeting")
    s.sendall(b"USER " + user.encode() + b"\r\n")
    check(f.readline()[:1] in (b"2", b"3"), "USER")
    s.sendall(b"PASS " + password.encode() + b"\r\n")
    check(f.readline().startswith(b"230"), "login")
    return s, f


class Raw:
    """A line-level control connection, for what ftplib refuses to send."""
    def __init__(self):
        self.s = socket.create_connection((host, port), timeout=30)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply()

    def reply(self):
        line = self.f.readline()
        if not line:
            return None
        text = line.decode("utf-8", "replace")
        if len(text) > 3 and text[3] == "-":
            code = text[:3]
            while True:
                more = self.f.readline().decode("utf-8", "replace")
                if more.startswith(code + " ") or not more:
                    break
        return text[:3]

    def send(self, data):
        self.s.sendall(data)
        return self.reply()


if scenario == "traversal":
    secret_dir = os.path.dirname(root.rstrip("/"))
    with open(os.path.join(secret_dir, "secret.txt"), "w") as fh:
        fh.write("top secret")
    os.symlink(secret_dir, os.path.join(root, "escape"))
    os.symlink(os.path.join(secret_dir, "secret.txt"), os.path.join(root, "link.txt"))
    with open(os.path.join(root, "inside.txt"), "w") as fh:
        fh.write("fine")
    os.symlink("inside.txt", os.path.join(root, "good-link.txt"))
    f = login()
    for path in ["../secret.txt", "/../secret.txt", "../../../../etc/passwd", "%2e%2e/secret.txt", "..\\secret.txt",
                 "escape/secret.txt", "link.txt", "/./../secret.txt"]:
        out = io.BytesIO()
        try:
            f.retrbinary("RETR " + path, out.write)
        except ftplib.error_perm:
            pass
        check(b"top secret" not in out.getvalue(), "RETR %s leaked the secret" % path)
    expect_error(f, "CWD escape", ("550",))
    expect_error(f, "SIZE link.txt", ("550",))
    f.cwd("../../..")
    check(f.pwd() == "/", "PWD after climbing")
    out = io.BytesIO()
    f.retrbinary("RETR good-link.txt", out.write)
    check(out.getvalue() == b"fine", "a link inside the root still works")
    for target in ["escape/new.txt", "../new.txt"]:
        try:
            f.storbinary("STOR " + target, io.BytesIO(b"x"))
        except ftplib.error_perm:
            pass
    check(not os.path.exists(os.path.join(secret_dir, "new.txt")), "STOR escaped the root")
    expect_error(f, "MKD escape/newdir", ("550",))
    check(not os.path.exists(os.path.join(secret_dir, "newdir")), "MKD escaped the root")
    expect_error(f, "DELE link.txt/../../secret.txt", ("550",))
    check(os.path.exists(os.path.join(secret_dir, "secret.txt")), "DELE escaped the root")
    f.quit()

elif scenario == "bounce":
    f = login()
    expect_error(f, "PORT 127,0,0,2,200,10", ("504",))   # another address
    expect_error(f, "PORT 10,1,2,3,200,10", ("504",))
    expect_error(f, "PORT 127,0,0,1,0,25", ("504",))     # a privileged port (SMTP)
    expect_error(f, "EPRT |1|192.0.2.10|4000|", ("504",))
    expect_error(f, "EPRT |2|::1|4000|", ("504",))
    expect_error(f, "PORT 999,1,1,1,1,1", ("501",))
    # A passive port is not usable from another address (a stolen data connection).
    pasv = f.sendcmd("PASV")
    nums = pasv[pasv.index("(") + 1:pasv.index(")")].split(",")
    dport = int(nums[4]) * 256 + int(nums[5])
    thief = socket.socket()
    thief.bind(("127.0.0.2", 0))
    thief.settimeout(10)
    thief.connect(("127.0.0.1", dport))
    check(thief.recv(10) == b"", "the thief's connection is closed at once")
    with open(os.path.join(root, "t.txt"), "wb") as fh:
        fh.write(b"payload")
    legit = socket.create_connection(("127.0.0.1", dport), timeout=10)
    f.sendcmd("RETR t.txt")
    got = b""
    while chunk := legit.recv(4096):
        got += chunk
    f.voidresp()
    check(got == b"payload", "the legitimate client still gets the data")
    f.quit()

elif scenario == "malformed":
    r = Raw()
    check(r.send(b"USER " + user.encode() + b"\r\n") == "331", "USER")
    check(r.send(b"PASS " + password.encode() + b"\r\n") == "230", "PASS")
    check(r.send(b"\r\n") == "500", "empty line")
    check(r.send(b"RETR " + b"a" * 10_000 + b"\r\n") == "500", "10 KB line")
    check(r.send(b"NOOP\r\n") == "200", "session continues after a long line")
    check(r.send(b"RETR a\x00b\r\n") == "501", "NUL byte")
    check(r.send(b"CWD \xff\xfe\r\n") == "501", "non-UTF-8")
    check(r.send(b"PORT 1,2,3\r\n") == "501", "short PORT")
    check(r.send(b"PORT a,b,c,d,e,f\r\n") == "501", "garbage PORT")
    check(r.send(b"EPRT |x|y|z|\r\n") == "522", "bad EPRT protocol")
    check(r.send(b"TYPE Q\r\n") == "501", "TYPE Q")
    check(r.send(b"REST -5\r\n") == "501", "negative REST")
    check(r.send(b"MFMT 99999999999999 x\r\n") == "501", "MFMT bad time")
    check(r.send(b"123 456\r\n") == "500", "numeric verb")
    check(r.send(b"RNTO x\r\n") == "503", "RNTO without RNFR")
    check(r.send(b"noop\n") == "200", "bare LF and lower case")
    check(r.send(b"GET / HTTP/1.1\r\n") == "421", "HTTP request line")
    check(r.reply() is None, "connection closed after HTTP")

elif scenario == "limits":
    # The server allows 2 sessions per address (set by the test).
    a, b = Raw(), Raw()
    c = socket.create_connection((host, port), timeout=10)
    greeting = c.makefile("rb").readline()
    check(greeting.startswith(b"421"), "third session refused with 421, got %r" % greeting)
    a.s.shutdown(socket.SHUT_RDWR)
    a.s.close()
    # A slot is free again once the server has noticed (quickly, but a loaded machine may take a moment).
    deadline = time.time() + 15
    while True:
        d = Raw()
        if d.greeting == "220":
            break
        check(time.time() < deadline, "no slot freed after a session ended")
        time.sleep(0.1)
    # Failed logins: 3 per session, then 421 and close.
    for i in range(3):
        check(d.send(b"USER " + user.encode() + b"\r\n") == "331", "USER")
        code = d.send(b"PASS wrong\r\n")
        check(code == ("421" if i == 2 else "530"), "failed login %d -> %s" % (i, code))
    check(d.reply() is None, "closed after too many failures")
    # USER answers the same for users that do not exist.
    check(b.send(b"USER no-such-user\r\n") == "331", "no user enumeration")

elif scenario == "vanish":
    # A client that disappears mid-upload leaves the previous file intact and no partial file.
    with open(os.path.join(root, "keep.bin"), "wb") as fh:
        fh.write(b"original")
    for how in ["control-first", "reset"]:
        f = login()
        conn = f.transfercmd("STOR keep.bin")
        conn.sendall(os.urandom(3_000_000))
        if how == "control-first":
            f.sock.shutdown(socket.SHUT_RDWR)
            f.sock.close()
            time.sleep(0.5)
            conn.close()
        else:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            try:
                f.voidresp()
            except ftplib.all_errors:
                pass
            f.close()
        deadline = time.time() + 10
        while time.time() < deadline and any(n.startswith(".seed-upload") for n in os.listdir(root)):
            time.sleep(0.1)
        check(open(os.path.join(root, "keep.bin"), "rb").read() == b"original", "%s: previous file intact" % how)
        check(sorted(os.listdir(root)) == ["keep.bin"], "%s: no partial file: %r" % (how, os.listdir(root)))
    # ABOR mid-upload too: the data connection stays open until the server has answered.
    f = login()
    conn = f.transfercmd("STOR new.bin")
    conn.sendall(os.urandom(500_000))
    f.sock.sendall(b"ABOR\r\n")
    codes = replies(f, 2)
    conn.close()
    check(codes == ["426", "226"], "ABOR replies %r" % codes)
    f.voidcmd("NOOP")
    check(sorted(os.listdir(root)) == ["keep.bin"], "ABOR: no partial file: %r" % os.listdir(root))
    f.quit()
    # STOR sent, the data connection never made: a client that vanishes, and one that sends ABOR, end the wait
    # at once (the server's data timeout is 20 s here) with the passive port closed and no partial file.
    for how in ["vanish", "ABOR"]:
        f = login()
        _, pasv_port = ftplib.parse227(f.sendcmd("PASV"))
        f.sock.sendall(b"STOR waiting.bin\r\n")
        time.sleep(0.3)
        started = time.time()
        if how == "vanish":
            f.sock.shutdown(socket.SHUT_RDWR)
            f.sock.close()
        else:
            f.sock.sendall(b"ABOR\r\n")
            codes = replies(f, 2)
            check(codes == ["426", "226"], "ABOR before the data connection: replies %r" % codes)
            check(time.time() - started < 5, "ABOR before the data connection took %.1f s" % (time.time() - started))
            f.voidcmd("NOOP")
        deadline = started + 5
        while time.time() < deadline and any(n.startswith(".seed-upload") for n in os.listdir(root)):
            time.sleep(0.05)
        check(sorted(os.listdir(root)) == ["keep.bin"], "%s before the data connection: %r" % (how, os.listdir(root)))
        refused = False
        while time.time() < deadline and not refused:
            try:
                socket.create_connection((host, pasv_port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        check(refused, "%s before the data connection: the passive port still accepts" % how)
        if how == "ABOR":
            f.quit()
elif scenario == "stalled":
    # The test's data timeout is 4 s (it also bounds the wait for each data connection, which a busy CI machine
    # has been seen to stretch past 2 s). A data connection that stops moving is cut (426) and the session goes on;
    # a slow one that keeps moving is not. Without the cut, ftplib's own 30 s timeout would end the wait instead, with
    # no 426.
    with open(os.path.join(root, "keep.bin"), "wb") as fh:
        fh.write(b"original")
    with open(os.path.join(root, "big.bin"), "wb") as fh:
        fh.write(os.urandom(32 << 20))
    f = login()
    # An upload that goes silent with its data connection open.
    conn = f.transfercmd("STOR keep.bin")
    conn.sendall(os.urandom(100_000))
    codes = replies(f, 1)
    check(codes == ["426"], "a silent upload: %r" % codes)
    conn.close()
    check(open(os.path.join(root, "keep.bin"), "rb").read() == b"original", "the silent upload left keep.bin whole")
    check(not any(n.startswith(".seed-upload") for n in os.listdir(root)), "no partial file: %r" % os.listdir(root))
    # A download whose client stops reading: the server's writes stop and the transfer is cut.
    conn = f.transfercmd("RETR big.bin")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    codes = replies(f, 1)
    check(codes == ["426"], "a download nobody reads: %r" % codes)
    conn.close()
    f.voidcmd("NOOP")
    # A slow upload that keeps moving, a byte every 0.5 s for 9 s, more than twice the timeout: completed.
    conn = f.transfercmd("STOR slow.bin")
    for _ in range(18):
        conn.sendall(b"x")
        time.sleep(0.5)
    conn.close()
    check(f.voidresp().startswith("226"), "a slow upload that keeps moving completes")
    check(open(os.path.join(root, "slow.bin"), "rb").read() == b"x" * 18, "the slow upload's bytes")
    f.quit()

elif scenario == "idle":
    r = Raw()
    r.send(b"USER " + user.encode() + b"\r\n")
    check(r.send(b"PASS " + password.encode() + b"\r\n") == "230", "login")
    time.sleep(4.5)  # the test's idle timeout is 3 s
    check(r.reply() == "421", "idle session closed with 421")
    check(r.reply() is None, "then disconnected")

elif scenario == "ban":
    # The test sets the ban threshold to 2 failures per address.
    for _ in range(2):
        r = Raw()
        r.send(b"USER " + user.encode() + b"\r\n")
        r.send(b"PASS wrong\r\n")
    c = socket.create_connection((host, port), timeout=10)
    greeting = c.makefile("rb").readline()
    check(greeting.startswith(b"421"), "banned address refused: %r" % greeting)

elif scenario == "shutdown":
    # The test calls shutdown() while this upload is running: it must complete, then the session closes.
    f = login()
    conn = f.transfercmd("STOR slow.bin")
    payload = os.urandom(100_000)
    for _ in range(20):
        conn.sendall(payload)
        time.sleep(0.1)
    conn.close()
    check(f.getresp().startswith("226"), "transfer completed during shutdown")
    try:
        last = f.getresp()
    except ftplib.error_temp as e:
        last = str(e)
    check(last.startswith("421"), "then 421: %r" % last)
    check(os.path.getsize(os.path.join(root, "slow.bin")) == 2_000_000, "upload committed")

elif scenario == "deaf":
    # A client that sends commands and never reads the replies: the server stops reading from it (TCP's window
    # closes) or drops it, and keeps serving others meanwhile; read at last, the replies come in order.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    s.settimeout(3)
    chunk = b"NOOP\r\n" * 40
    sent, outcome = 0, None
    deadline = time.time() + 60
    while outcome is None and time.time() < deadline:
        try:
            s.sendall(chunk)
            sent += len(chunk)
        except socket.timeout:
            outcome = "stopped reading"
        except OSError:
            outcome = "closed"
    check(outcome is not None, "the server kept reading %d bytes of commands whose replies nobody read" % sent)
    other = Raw()
    check(other.greeting == "220" and other.send(b"NOOP\r\n") == "200", "another session is served meanwhile")
    if outcome == "stopped reading":
        s.settimeout(30)
        f = s.makefile("rb")
        check(f.readline().startswith(b"220"), "greeting first")
        for i in range(1000):
            line = f.readline()
            check(line.startswith(b"200"), "reply %d in order: %r" % (i, line))

elif scenario in ("deaf-stat", "deaf-close"):
    # Clients that stop reading: the server must let them go (a reset), not hold their session forever.
    # deaf-stat: a STAT reply far bigger than the kernel buffers hold (a directory of 25,000 long names, about
    #   8 MB), never read: the listing stalls, and after the idle timeout (3 s in the test) the connection is reset.
    # deaf-close: NOOPs flooded until the server stops reading, never a reply read: the session closes (its
    #   queue overflows, or its idle timeout ends it) with replies it cannot deliver, and after the close timeout
    #   (2 s in the test) the connection is reset. Without one it would wait for the client to read, forever.
    if scenario == "deaf-stat":
        big_directory()
    s, _ = slow_reader()  # nothing more is read through the line reader: its buffer stays empty
    reset = False
    if scenario == "deaf-stat":
        s.sendall(b"STAT many\r\n")
    else:
        s.settimeout(3)
        try:
            while True:
                s.sendall(b"NOOP\r\n" * 40)
        except socket.timeout:
            pass  # the server stopped reading
        except (ConnectionResetError, BrokenPipeError):
            reset = True  # already let go
    # The client's side of the connection leaves ESTABLISHED when the reset (or a close) arrives.
    deadline = time.time() + 60
    while not reset and time.time() < deadline:
        if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != 1:
            break
        time.sleep(0.2)
    check(reset or time.time() < deadline, "the session of a client that stopped reading was held for 60 s")
    s.settimeout(10)
    received, ending = b"", "reset" if reset else None
    try:
        while ending is None:
            data = s.recv(65536)
            if not data:
                ending = "closed"
            received += data
    except ConnectionResetError:
        ending = "reset"
    except socket.timeout:
        ending = "still open"
    check(ending == "reset", "the connection of a client that stopped reading was %s after %d bytes" % (ending, len(received)))
    check(b"213 End of status" not in received, "the whole reply was held until the client read it")

elif scenario == "stat-shutdown":
    # The server is shut down while a STAT reply far bigger than the kernel buffers is being written (the test
    # shuts it down once "reading" exists, and says so with "shutting-down"): the reply comes whole, then 421.
    big_directory()
    s, f = slow_reader()
    s.sendall(b"STAT many\r\n")
    check(f.readline().startswith(b"213-Status of /many:"), "the reply begins")
    open(os.path.join(root, "reading"), "w").close()
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(root, "shutting-down")) and time.time() < deadline:
        time.sleep(0.05)
    lines = [l.rstrip(b"\r\n") for l in f.readlines()]
    end = lines.index(b"213 End of status.") if b"213 End of status." in lines else -1
    check(end == 25000, "the whole listing, then its end (%d lines; end at %d)" % (len(lines), end))
    check(lines[end + 1:] == [b"421 Server shutting down."], "then 421 and nothing else: %r" % lines[end + 1:][:3])

else:
    print("unknown scenario", scenario)
    sys.exit(2)
print("ok")
