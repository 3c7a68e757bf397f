"""Python's ftplib against a user with a quota of 1 MiB and 3 files, whose root already holds `old.bin`
(300 000 bytes). Checks the answers a quota owes: 552 past the bytes or the files, on STOR, APPE and STOU, the
previous content kept, overwrites credited, deletes giving back, AVBL reporting what is left, and two sessions
uploading at once unable to pass the limit together.

usage: quota.py HOST PORT USER PASSWORD ROOT
Prints each failed expectation and exits 1; prints "ok" and exits 0 otherwise."""
import ftplib
import os
import sys

host, port, user, password, root = sys.argv[1:6]
port = int(port)
QUOTA = 1 << 20
failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)


def login():
    f = ftplib.FTP()
    f.connect(host, port, timeout=60)
    f.login(user, password)
    return f


def stor(f, name, data, command="STOR"):
    """The final reply code of an upload of `data`, however the server ended it (a refusal mid-upload closes
    the data connection under the sender: the reply is read all the same)."""
    f.voidcmd("TYPE I")
    try:
        conn = f.transfercmd(f"{command} {name}".strip())
    except ftplib.all_errors as e:
        return str(e)[:3]
    try:
        conn.sendall(data)
    except OSError:
        pass
    conn.close()
    try:
        return f.voidresp()[:3]
    except ftplib.all_errors as e:
        return str(e)[:3]


def avbl(f):
    return int(f.sendcmd("AVBL").split()[1])


f = login()
expect(avbl(f) == QUOTA - 300_000, f"AVBL at the start: {avbl(f)}")

# Bytes: an upload past the quota is refused and leaves nothing.
code = stor(f, "big.bin", os.urandom(800_000))
expect(code == "552", f"STOR past the quota answered {code}")
expect("big.bin" not in f.nlst(), "the refused upload is listed")
expect(stor(f, "a.bin", os.urandom(700_000)) == "226", "STOR within the quota refused")
expect(avbl(f) == QUOTA - 1_000_000, f"AVBL after a.bin: {avbl(f)}")

# Overwrites are credited with the bytes they replace: 340 000 over 300 000 needs only 40 000 free.
new_old = os.urandom(340_000)
expect(stor(f, "old.bin", new_old) == "226", "an overwrite that fits was refused")
code = stor(f, "old.bin", os.urandom(400_000))
expect(code == "552", f"an overwrite past the quota answered {code}")
expect(f.size("old.bin") == 340_000, "a refused overwrite changed the file")

# Files: a third file fits, a fourth does not (STOR and STOU), and is refused before any data.
expect(stor(f, "c.txt", b"0123456789") == "226", "the third file was refused")
for command, name in (("STOR", "d.txt"), ("STOU", "")):
    code = stor(f, name, b"x", command=command)
    expect(code == "552", f"{command} of a fourth file answered {code}")
# APPE past the bytes: refused, and the file keeps what it had.
code = stor(f, "c.txt", os.urandom(200_000), command="APPE")
expect(code == "552", f"APPE past the quota answered {code}")
expect(f.size("c.txt") == 10, "a refused APPE changed the file")

# A delete gives its bytes and its file back.
f.delete("a.bin")
expect(avbl(f) == QUOTA - 340_010, f"AVBL after DELE: {avbl(f)}")
expect(stor(f, "d.txt", b"x") == "226", "a new file after DELE was refused")

# Two sessions of the user upload at once (two file slots freed first), interleaved, each 3/4 of what is left: exactly one is refused.
f.delete("c.txt")
f.delete("d.txt")
left = avbl(f)
g = login()
size = left * 3 // 4
datas = [os.urandom(size), os.urandom(size)]
f.voidcmd("TYPE I")
g.voidcmd("TYPE I")
conns = [f.transfercmd("STOR p0.bin"), g.transfercmd("STOR p1.bin")]
broken = [False, False]
for offset in range(0, size, 16_384):
    for i in (0, 1):
        if broken[i]:
            continue
        try:
            conns[i].sendall(datas[i][offset:offset + 16_384])
        except OSError:
            broken[i] = True
codes = []
for i, session in enumerate((f, g)):
    try:
        conns[i].close()
    except OSError:
        pass
    try:
        codes.append(session.voidresp()[:3])
    except ftplib.all_errors as e:
        codes.append(str(e)[:3])
expect(sorted(codes) == ["226", "552"], f"two uploads at once answered {codes}")
expect(avbl(f) >= 0, "AVBL below zero")
f.quit()
g.quit()

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
