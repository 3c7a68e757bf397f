"""Python's ftplib drives every file-system command of the server at `d/...` while the test swaps `d` for a link
to a folder outside the root (renameat2 RENAME_EXCHANGE, from the Swift side). Whatever each command answers, it
must never show, return or touch the outside folder: its marker file `outside-only`, its `secret` ("SECRET").

usage: jail_race.py HOST PORT USER PASSWORD ROOT ROUNDS
Prints what leaked and exits 1; prints the counts of answers and exits 0 otherwise."""
import ftplib
import hashlib
import io
import sys

host, port, user, password, root = sys.argv[1:6]
rounds = int(sys.argv[6])
SECRET = b"SECRET"
SECRET_SHA = hashlib.sha256(SECRET).hexdigest()
leaks = []
answers = {"ok": 0, "4xx": 0, "5xx": 0}


def attempt(body):
    try:
        result = body()
        answers["ok"] += 1
        return result
    except ftplib.error_temp:
        answers["4xx"] += 1
    except ftplib.error_perm:
        answers["5xx"] += 1
    return None


def check_names(what, names):
    if names and any("outside-only" in n for n in names):
        leaks.append(f"{what} listed the outside folder")


ftp = ftplib.FTP()
ftp.connect(host, int(port), timeout=30)
ftp.login(user, password)
for i in range(rounds):
    attempt(lambda: ftp.storbinary(f"STOR d/new-{i}", io.BytesIO(b"payload")))
    attempt(lambda: ftp.storbinary("APPE d/victim.txt", io.BytesIO(b"+")))
    if attempt(lambda: ftp.cwd("/d")) is not None:
        attempt(lambda: ftp.storbinary("STOU", io.BytesIO(b"unique")))
        lines = []
        attempt(lambda: ftp.retrlines("LIST", lines.append))
        check_names("LIST after CWD", lines)
    ftp.cwd("/")
    data = io.BytesIO()
    attempt(lambda: ftp.retrbinary("RETR d/secret", data.write))
    if data.getvalue() == SECRET:
        leaks.append("RETR returned the outside secret")
    check_names("NLST", attempt(lambda: ftp.nlst("d")))
    lines = []
    attempt(lambda: ftp.retrlines("LIST d", lines.append))
    check_names("LIST", lines)
    entries = attempt(lambda: [name for name, _ in ftp.mlsd("d")])
    check_names("MLSD", entries)
    if attempt(lambda: ftp.size("d/secret")) == len(SECRET):
        leaks.append("SIZE measured the outside secret")
    attempt(lambda: ftp.sendcmd("MDTM d/secret"))
    fact = attempt(lambda: ftp.sendcmd("MLST d/secret"))
    if fact and f"size={len(SECRET)};" in fact.lower():
        leaks.append("MLST described the outside secret")
    digest = attempt(lambda: ftp.sendcmd("HASH d/secret"))
    if digest and SECRET_SHA in digest.lower():
        leaks.append("HASH hashed the outside secret")
    attempt(lambda: ftp.sendcmd("MFMT 20000101000000 d/victim.txt"))
    attempt(lambda: ftp.sendcmd("SITE CHMOD 777 d/victim.txt"))
    attempt(lambda: ftp.sendcmd("SITE CHMOD 777 d/secret"))
    attempt(lambda: ftp.delete("d/victim.txt"))
    if attempt(lambda: ftp.rename("d/secret", f"d/moved-{i}")) is not None:
        attempt(lambda: ftp.rename(f"d/moved-{i}", "d/secret"))
    attempt(lambda: ftp.mkd(f"d/dir-{i}"))
    if attempt(lambda: ftp.rmd("d/victimdir")) is not None:
        attempt(lambda: ftp.mkd("d/victimdir"))
ftp.quit()
if leaks:
    print("\n".join(sorted(set(leaks))))
    sys.exit(1)
print(answers)
