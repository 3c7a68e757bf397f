"""Python's ftplib against our server: every operation a client uses. Exits non-zero with a message on failure."""
import ftplib, io, os, sys, hashlib

host, port, user, password, root = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
active = len(sys.argv) > 6 and sys.argv[6] == "active"


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


ftp = ftplib.FTP()
ftp.connect(host, port, timeout=30)
ftp.login(user, password)
ftp.set_pasv(not active)
check(ftp.sendcmd("OPTS UTF8 ON").startswith("200"), "OPTS UTF8 ON")
ftp.encoding = "utf-8"

data = os.urandom(1_000_003)
ftp.storbinary("STOR blob.bin", io.BytesIO(data))
check(open(os.path.join(root, "blob.bin"), "rb").read() == data, "STOR content")
ftp.voidcmd("TYPE I")
check(ftp.size("blob.bin") == len(data), "SIZE")

out = io.BytesIO()
ftp.retrbinary("RETR blob.bin", out.write)
check(out.getvalue() == data, "RETR content")

# Resume a download (REST) and an upload (REST + STOR keeps the prefix).
out = io.BytesIO()
ftp.retrbinary("RETR blob.bin", out.write, rest=400_000)
check(out.getvalue() == data[400_000:], "REST + RETR")
with open(os.path.join(root, "half.bin"), "wb") as f:
    f.write(data[:300_000] + b"garbage-after-the-cut")
ftp.storbinary("STOR half.bin", io.BytesIO(data[300_000:]), rest=300_000)
check(open(os.path.join(root, "half.bin"), "rb").read() == data, "REST + STOR")

# STOU: the server picks a unique name and says it in the 226 reply.
conn = ftp.transfercmd("STOU")
conn.sendall(b"unique")
conn.close()
reply = ftp.voidresp()
check("FILE: " in reply, "STOU reply %r" % reply)
stou_name = reply.split("FILE: ")[1].strip()
check(open(os.path.join(root, stou_name), "rb").read() == b"unique", "STOU content")
ftp.delete(stou_name)

# APPE
ftp.storbinary("APPE blob.bin", io.BytesIO(b"tail"))
check(open(os.path.join(root, "blob.bin"), "rb").read() == data + b"tail", "APPE")

# ASCII both ways: CRLF on the wire, LF on disk.
ftp.storlines("STOR text.txt", io.BytesIO(b"alpha\nbeta\n"))
check(open(os.path.join(root, "text.txt"), "rb").read() == b"alpha\nbeta\n", "ASCII STOR stores LF")
lines = []
ftp.retrlines("RETR text.txt", lines.append)
check(lines == ["alpha", "beta"], "ASCII RETR")
raw = []
ftp.voidcmd("TYPE A")
with ftp.transfercmd("RETR text.txt") as conn:
    while chunk := conn.recv(65536):
        raw.append(chunk)
ftp.voidresp()
check(b"".join(raw) == b"alpha\r\nbeta\r\n", "ASCII RETR sends CRLF")
ftp.voidcmd("TYPE I")

# Directories, listings, names with spaces and non-ASCII characters.
check(ftp.mkd("dir one") == "/dir one", "MKD reply")
ftp.cwd("dir one")
check(ftp.pwd() == "/dir one", "PWD")
name = "naïve 名前 file.txt"
ftp.storbinary("STOR " + name, io.BytesIO(b"x"))
check(ftp.nlst() == [name], "NLST")
listing = []
ftp.dir(listing.append)
check(len(listing) == 1 and listing[0].endswith(name), "LIST %r" % listing)
facts = dict(ftp.mlsd())
check(facts[name]["type"] == "file" and facts[name]["size"] == "1", "MLSD %r" % facts)
mlst = ftp.sendcmd("MLST " + name)
check("type=file;" in mlst and ("/dir one/" + name) in mlst, "MLST %r" % mlst)
ftp.cwd("..")
ftp.rename("dir one/" + name, "renamed.txt")
check(os.path.exists(os.path.join(root, "renamed.txt")), "RNFR/RNTO")
ftp.rmd("dir one")
check(not os.path.exists(os.path.join(root, "dir one")), "RMD")

# MDTM, MFMT, HASH (with OPTS and RANG), AVBL, STAT.
check(ftp.sendcmd("MFMT 20200102030405 renamed.txt").startswith("213 Modify=20200102030405"), "MFMT")
check(ftp.sendcmd("MDTM renamed.txt") == "213 20200102030405", "MDTM")
check(ftp.sendcmd("SITE CHMOD 640 renamed.txt").startswith("200 "), "SITE CHMOD")
check(os.stat(os.path.join(root, "renamed.txt")).st_mode & 0o777 == 0o640, "SITE CHMOD mode")
listed = []
ftp.retrlines("LIST renamed.txt", listed.append)
check(listed and listed[0].startswith("-rw-r-----"), "LIST after SITE CHMOD %r" % listed)
for bad in ("SITE CHMOD 4755 renamed.txt", "SITE CHMOD abc renamed.txt"):
    try:
        ftp.sendcmd(bad)
        check(False, bad)
    except ftplib.error_perm as e:
        check(str(e).startswith("501"), "%s: %s" % (bad, e))
digest = hashlib.sha256(data + b"tail").hexdigest()
reply = ftp.sendcmd("HASH blob.bin")
check(reply == "213 SHA-256 0-%d %s blob.bin" % (len(data) + 3, digest), "HASH %r" % reply)
ftp.sendcmd("OPTS HASH MD5")
check(ftp.sendcmd("HASH blob.bin").split()[3] == hashlib.md5(data + b"tail").hexdigest(), "HASH MD5")
ftp.sendcmd("OPTS HASH SHA-1")
ftp.sendcmd("RANG 10 19")
check(ftp.sendcmd("HASH blob.bin").split()[2:4] == ["10-19", hashlib.sha1(data[10:20]).hexdigest()], "HASH range")
check(int(ftp.sendcmd("AVBL").split()[1]) > 0, "AVBL")
check(ftp.sendcmd("STAT").startswith("211"), "STAT")
check(ftp.sendcmd("SYST").startswith("215"), "SYST")
check(ftp.sendcmd("HELP").startswith("214"), "HELP")
check(ftp.sendcmd("ALLO 1000").startswith("202"), "ALLO")
check(ftp.sendcmd("MODE S").startswith("200") and ftp.sendcmd("STRU F").startswith("200"), "MODE/STRU")
check("renamed.txt" in ftp.sendcmd("STAT /"), "STAT path")

# ABOR during a download, sent urgently as RFC 959 has it, three ways: ftplib's abort() sends all of "ABOR\r\n"
# with MSG_OOB; the classic BSD ftp client sends "IAC IP IAC" urgently, then "DM ABOR"; lftp sends "IAC IP IAC DM"
# with only its first byte urgent, then "ABOR". The server reads urgent bytes inline (before, the kernel took the
# urgent byte out: "ABOR\r" waited for its line feed, the next command read as "ABOR\rNOOP", and the download ran
# on; the Telnet sequences lost an IAC and got a 501). Large enough that the transfer is still running when ABOR
# comes.
with open(os.path.join(root, "long.bin"), "wb") as f:
    f.write(b"\0" * (32 << 20))
import socket
for style in ("ftplib", "bsd", "lftp"):
    conn = ftp.transfercmd("RETR long.bin")
    conn.recv(65536)
    if style == "ftplib":
        first = ftp.abort()
    elif style == "bsd":
        ftp.sock.send(b"\xff\xf4\xff", socket.MSG_OOB)
        ftp.sock.sendall(b"\xf2ABOR\r\n")
        first = ftp.getmultiline()
    else:
        ftp.sock.send(b"\xff", socket.MSG_OOB)
        ftp.sock.sendall(b"\xf4\xff\xf2ABOR\r\n")
        first = ftp.getmultiline()
    check(first.startswith("426"), "%s ABOR: %r" % (style, first))
    second = ftp.getmultiline()
    check(second.startswith("226"), "%s ABOR's second reply: %r" % (style, second))
    conn.close()
    noop = ftp.sendcmd("NOOP")
    check(noop.startswith("200"), "%s: the session goes on after ABOR: %r" % (style, noop))
ftp.delete("long.bin")

ftp.delete("renamed.txt")
ftp.delete("blob.bin")
ftp.delete("half.bin")
ftp.delete("text.txt")
check(os.listdir(root) == [], "everything deleted: %r" % os.listdir(root))
ftp.quit()
print("ok")
