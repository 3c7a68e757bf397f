"""An FTP server that answers at random, for fuzzing the client. Prints its port, serves connections (each in a
thread, with its own random stream derived from the seed) until killed or two minutes have passed.

usage: chaos_server.py SEED

Each reply is, at random: a plausible answer (with working PASV/EPSV data connections that send or take
bytes), a wrong or random code, garbage, a multi-line reply left open, a reply in pieces, silence, a PASV
address that is nonsense, or the connection closed. The client must answer each with a typed error or a
result, never a hang or a crash.
"""
import os, random, signal, socket, sys, threading, time

import die_with_parent  # noqa: F401 (ends this server with the test process)
signal.alarm(120)
seed = int(sys.argv[1])
local = threading.local()
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)


def send(b):
    local.conn.sendall(b)


def open_data():
    local.data_listener = socket.socket()
    local.data_listener.bind(("127.0.0.1", 0))
    local.data_listener.listen(1)
    local.data_listener.settimeout(3)
    return local.data_listener.getsockname()[1]


def serve_data(listener, rng, upload):
    if listener is None:
        return
    try:
        d, _ = listener.accept()
    except OSError:
        return
    r = rng.random()
    try:
        if upload:
            d.settimeout(2)
            while d.recv(65536):
                if r < 0.2:
                    break
        elif r < 0.2:
            pass                                   # closes at once: an empty or cut transfer
        elif r < 0.4:
            d.sendall(os.urandom(rng.randint(1, 300000)))
        else:
            lines = ["-rw-r--r-- 1 u g %d Jan 1 2024 f%d.bin" % (rng.randint(0, 10**9), i) for i in range(rng.randint(0, 5))]
            lines += [os.urandom(rng.randint(0, 80)).decode("latin-1").replace("\n", "") for _ in range(rng.randint(0, 3))]
            d.sendall(("\r\n".join(lines) + "\r\n").encode("utf-8", "replace"))
        if rng.random() < 0.3:
            import struct
            d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        d.close()
    except OSError:
        pass


def plausible(cmd, arg):
    rng = local.rng
    if cmd == "USER":
        return [b"331 password please\r\n"]
    if cmd == "PASS":
        return [b"230 welcome\r\n"]
    if cmd == "FEAT":
        return [b"211-Features:\r\n SIZE\r\n MDTM\r\n EPSV\r\n MLST type*;size*;modify*;\r\n HASH SHA-256*\r\n211 End\r\n"]
    if cmd == "PASV":
        p = open_data()
        return [("227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n" % (p // 256, p % 256)).encode()]
    if cmd == "EPSV":
        p = open_data()
        return [("229 Extended Passive Mode (|||%d|)\r\n" % p).encode()]
    if cmd in ("LIST", "NLST", "MLSD", "RETR"):
        threading.Thread(target=serve_data, args=(getattr(local, "data_listener", None), random.Random(rng.random()), False)).start()
        return [b"150 here it comes\r\n", b"226 done\r\n"]
    if cmd in ("STOR", "APPE", "STOU"):
        threading.Thread(target=serve_data, args=(getattr(local, "data_listener", None), random.Random(rng.random()), True)).start()
        return [b"150 send it\r\n", b"226 stored\r\n"]
    if cmd == "SIZE":
        return [("213 %d\r\n" % rng.randint(0, 10**12)).encode()]
    if cmd == "MDTM":
        return [rng.choice([b"213 20240101123456\r\n", b"213 2024\r\n", b"213 99999999999999\r\n"])]
    if cmd == "HASH":
        return [rng.choice([b"213 SHA-256 0-10 abcdef f\r\n", b"213 nonsense\r\n"])]
    if cmd == "PWD" or cmd == "MKD":
        return [rng.choice([b'257 "/a/b" is here\r\n', b"257 no quotes\r\n", b'257 "unterminated\r\n'])]
    if cmd == "QUIT":
        return [b"221 bye\r\n"]
    if cmd == "REST":
        return [b"350 ok\r\n"]
    if cmd == "RNFR":
        return [b"350 go on\r\n"]
    return [rng.choice([b"200 ok\r\n", b"250 ok\r\n"])]


def serve():
    rng, f = local.rng, local.f
    send(b"220 chaos ready\r\n")
    while True:
        try:
            line = f.readline()
        except OSError:
            return
        if not line:
            return
        text = line.decode("utf-8", "replace").strip()
        cmd, _, arg = text.partition(" ")
        cmd = cmd.upper()
        r = rng.random()
        if r < 0.55:
            for reply in plausible(cmd, arg):
                send(reply)
                time.sleep(0.02)
        elif r < 0.63:
            send(("%d %s\r\n" % (rng.randint(100, 699), "random")).encode())
        elif r < 0.70:
            send(os.urandom(rng.randint(1, 200)).replace(b"\n", b"") + b"\r\n")
        elif r < 0.74:
            send(b"211-an open multi-line reply\r\n and more\r\n")
        elif r < 0.80:
            whole = plausible(cmd, arg)[0]
            for i in range(len(whole)):
                send(whole[i:i + 1])
        elif r < 0.84:
            time.sleep(3)                          # silence past the client's reply timeout
            send(plausible(cmd, arg)[0])
        elif r < 0.90:
            send(rng.choice([b"227 Entering Passive Mode (999,1,1,1,1,1)\r\n", b"227 (0,0,0,0,0,0)\r\n",
                             b"229 (|||99999|)\r\n", b"229 Extended (|||abc|)\r\n", b"227 nothing\r\n"]))
        elif r < 0.95:
            send(b"1" * rng.randint(1, 3) + b"\r\n")
        else:
            return


def connection(conn, index):
    local.conn, local.f, local.rng = conn, conn.makefile("rb"), random.Random(seed * 1000 + index)
    try:
        serve()
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


index = 0
while True:
    conn, _ = srv.accept()
    threading.Thread(target=connection, args=(conn, index), daemon=True).start()
    index += 1
