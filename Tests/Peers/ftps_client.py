"""Python's ftplib.FTP_TLS against our server. usage: ftps_client.py HOST PORT USER PASSWORD ROOT CAFILE SCENARIO"""
import ftplib, io, os, socket, ssl, sys, time

host, port, user, password, root, cafile, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


ctx = ssl.create_default_context(cafile=cafile)


def connect():
    f = ftplib.FTP_TLS(context=ctx)
    f.connect(host, port, timeout=20)
    return f


def protected():
    """Logged in, with the data connections encrypted (PROT P)."""
    f = connect()
    f.login(user, password)
    f.prot_p()
    return f


def bare_upload(f, name, data):
    """STOR whose TLS ends with a bare TCP close: no unwrap(), so no close_notify."""
    f.voidcmd("TYPE I")
    conn = f.transfercmd("STOR " + name)
    conn.sendall(data)
    conn.close()


if scenario == "strict":
    # Stock ftplib does not resume TLS sessions: the default server refuses its data connections.
    f = protected()
    try:
        f.retrbinary("RETR a.bin", io.BytesIO().write)
        check(False, "a data connection without session reuse was accepted")
    except ftplib.all_errors as e:
        check(str(e).startswith("522"), "522 expected, got %r" % str(e))
    f.voidcmd("NOOP")  # the session goes on
    f.quit()

elif scenario == "relaxed":
    f = protected()
    data = os.urandom(700_000)
    f.storbinary("STOR up.bin", io.BytesIO(data))
    check(open(os.path.join(root, "up.bin"), "rb").read() == data, "STOR over TLS")
    out = io.BytesIO()
    f.retrbinary("RETR up.bin", out.write)
    check(out.getvalue() == data, "RETR over TLS")
    check("up.bin" in f.nlst(), "NLST over TLS")
    # An upload whose TLS ends without close_notify may have been truncated: not committed.
    bare_upload(f, "cut.bin", os.urandom(300_000))
    try:
        reply = f.voidresp()
        check(False, "an upload without close_notify was answered %r" % reply)
    except ftplib.error_temp as e:
        check(str(e).startswith("426") and "close_notify" in str(e), "426 naming close_notify expected, got %r" % str(e))
    check(not os.path.exists(os.path.join(root, "cut.bin")), "a truncated TLS upload was committed")
    f.voidcmd("NOOP")  # the session goes on
    # A STAT listing of several batches over the encrypted control connection, whole and in order.
    os.mkdir(os.path.join(root, "many"))
    for i in range(3000):
        open(os.path.join(root, "many", "n%04d" % i), "w").close()
    status = f.sendcmd("STAT many").splitlines()
    check([l.split()[-1] for l in status[1:-1]] == ["n%04d" % i for i in range(3000)], "STAT over TLS")
    check(status[-1] == "213 End of status.", "STAT's last line over TLS: %r" % status[-1])
    f.voidcmd("NOOP")
    f.quit()

elif scenario == "finished-early":
    # A client faster than the server: its whole upload, TLS handshake to close_notify, is over and the data
    # connection closed before the server's transfer takes it (here: before STOR is even sent). The TLS handler
    # has left the closed connection by then; what the handshake said must still count.
    f = protected()
    f.voidcmd("TYPE I")
    host_, port_ = f.makepasv()
    # Small enough that the server reads all of it, close_notify included, without being asked: unwrap() waits
    # for the server's close_notify in answer.
    data = os.urandom(5_000)
    raw = socket.create_connection((host_, port_), timeout=20)
    conn = ctx.wrap_socket(raw, server_hostname=host)
    conn.sendall(data)
    conn = conn.unwrap()  # close_notify: the upload is complete
    conn.close()
    time.sleep(0.5)  # let the server read it all and close its side (not needed for correctness either way)
    f.sendcmd("STOR early.bin")  # 150
    f.voidresp()  # 226
    check(open(os.path.join(root, "early.bin"), "rb").read() == data, "an upload finished before STOR was stored")
    f.quit()

elif scenario == "lenient":
    # A server told to take a TCP close as the end of a TLS upload (--allow-tls-upload-without-close-notify):
    # the upload is stored whole, as pyftpdlib's ftpbench -S expects.
    f = protected()
    data = os.urandom(900_000)
    bare_upload(f, "bare.bin", data)
    check(f.voidresp().startswith("226"), "226 expected")
    stored = open(os.path.join(root, "bare.bin"), "rb").read()
    check(stored == data, "the upload without close_notify stored whole (%d of %d bytes)" % (len(stored), len(data)))
    conn = f.transfercmd("STOR empty.bin")  # ftpbench's write check: open, close at once
    conn.close()
    check(f.voidresp().startswith("226"), "226 expected for an empty upload")
    check(os.path.getsize(os.path.join(root, "empty.bin")) == 0, "the empty upload stored")
    # An upload ended properly is stored as before.
    f.storbinary("STOR clean.bin", io.BytesIO(data))
    check(open(os.path.join(root, "clean.bin"), "rb").read() == data, "STOR with close_notify")
    f.quit()

elif scenario == "policy":
    # Logins need TLS; PROT needs PBSZ; clear data is refused.
    plain = ftplib.FTP()
    plain.connect(host, port, timeout=20)
    try:
        plain.login(user, password)
        check(False, "a clear-text login was accepted")
    except ftplib.error_perm as e:
        check(str(e).startswith("530"), "530 expected, got %r" % str(e))
    f = connect()
    f.auth()
    try:
        f.sendcmd("PROT P")
        check(False, "PROT before PBSZ was accepted")
    except ftplib.error_perm as e:
        check(str(e).startswith("503"), "503 expected, got %r" % str(e))
    f.login(user, password)
    f.sendcmd("PBSZ 0")
    try:
        f.sendcmd("PROT C")
        check(False, "PROT C accepted under the 'required' policy")
    except ftplib.error_perm as e:
        check(str(e).startswith("534"), "534 expected, got %r" % str(e))
    # CCC (clear the control connection after login) is refused: commands stay encrypted.
    try:
        f.sendcmd("CCC")
        check(False, "CCC was accepted")
    except ftplib.error_perm as e:
        check(str(e).startswith("534"), "534 expected for CCC, got %r" % str(e))
    f.voidcmd("NOOP")
    f.quit()

elif scenario == "implicit":
    # Implicit FTPS (TLS from the first byte): ftplib has no mode for it, so the socket is wrapped at connect.
    implicit_port = int(sys.argv[8])

    class ImplicitFTP_TLS(ftplib.FTP_TLS):
        def connect(self, host, port, timeout):
            self.host, self.port, self.timeout = host, port, timeout
            raw = socket.create_connection((host, port), timeout)
            self.sock = self.context.wrap_socket(raw, server_hostname=host)
            self.af = self.sock.family
            self.file = self.sock.makefile("r", encoding=self.encoding)
            self.welcome = self.getresp()
            return self.welcome

    f = ImplicitFTP_TLS(context=ctx)
    f.connect(host, implicit_port, 20)
    check(f.welcome.startswith("220"), "greeting over implicit TLS")
    f.login(user, password)
    f.prot_p()
    data = os.urandom(200_000)
    f.storbinary("STOR implicit.bin", io.BytesIO(data))
    out = io.BytesIO()
    f.retrbinary("RETR implicit.bin", out.write)
    check(out.getvalue() == data, "RETR over implicit TLS")
    f.quit()
else:
    sys.exit(2)
print("ok")
