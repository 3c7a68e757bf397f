"""Writes the seed corpus of each fuzz target (Tests/Fuzz/corpus/TARGET/seed-N): a few well-formed inputs of
each kind, for libFuzzer to mutate from. Run again after changing it; findings are added next to the seeds as
crash-* / regression-* files by hand."""
import json
import os
import struct
import zlib

here = os.path.dirname(os.path.abspath(__file__))
seeds = {
    "command": [b"USER alice", b"PASS secret", b"PORT 127,0,0,1,4,1", b"EPRT |2|::1|5282|", b"STOR a b.txt",
                b"REST 100", b"MLST /", b"HASH file", b"RANG 1 2", b"SITE CHMOD 755 x", b"NOOP", b"OPTS UTF8 ON",
                b"MFMT 20240101120000 f", b"CWD ..", b"RNTO \xc3\xa9t\xc3\xa9.txt"],
    "reply": [b"220 ready\n", b"230-first\n230 last\n", b"227 Entering Passive Mode (127,0,0,1,4,1)\n",
              b"229 Entering Extended Passive Mode (|||5000|)\n", b"211-Features:\n MLST size*;\n211 End\n",
              b"550 No such file\n"],
    "listing": [b"-rw-r--r--   1 owner group        1234 Jan  1 12:00 file.txt\n",
                b"drwxr-xr-x   2 owner group        4096 Mar 15  2023 dir\n",
                b"lrwxrwxrwx 1 a b 4 Jan 1 2020 l -> target\n",
                b"01-02-24  03:04PM       <DIR>          Folder\n01-02-24  03:04PM                 123 file.bin\n",
                b"+i8388621.48594,m825718503,r,s280,\tdjb.html\n",
                b"type=file;size=1024;modify=20240101120000;perm=r; a file.txt\ntype=dir;modify=20240101120000; sub\n"],
    "host-port": [b"127,0,0,1,4,1", b"|1|127.0.0.1|6000|", b"|2|::1|6000|",
                  b"227 Entering Passive Mode (10,0,0,1,200,10)", b"229 Entering Extended Passive Mode (|||6446|)"],
    "proxy": [b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 21\r\nUSER a\r\n", b"PROXY TCP6 ::1 ::1 1 2\r\n", b"PROXY UNKNOWN\r\n",
              b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack(">H", 12)
              + bytes([1, 2, 3, 4, 5, 6, 7, 8]) + struct.pack(">HH", 1000, 21),
              b"USER plain\r\n"],
    "gateway": [json.dumps(x).encode() for x in [
        {"op": 10, "d": {"heartbeat_interval": 41250}},
        {"op": 11},
        {"op": 9, "d": False},
        {"op": 0, "s": 1, "t": "READY", "d": {"v": 10, "session_id": "abc", "resume_gateway_url": "wss://x",
                                              "user": {"id": "1", "username": "bot"}, "guilds": []}},
        {"op": 0, "s": 2, "t": "MESSAGE_CREATE", "d": {"id": "10", "channel_id": "20", "guild_id": "30",
                                                       "content": "!list", "author": {"id": "40", "username": "ana"},
                                                       "attachments": [{"id": "5", "filename": "a.txt", "size": 3,
                                                                        "url": "https://cdn/a.txt"}]}},
        {"op": 0, "s": 3, "t": "INTERACTION_CREATE", "d": {"id": "50", "application_id": "60", "type": 2, "token": "t",
                                                           "guild_id": "30", "channel_id": "20",
                                                           "member": {"user": {"id": "40", "username": "ana"}},
                                                           "data": {"id": "70", "name": "download", "type": 1,
                                                                    "options": [{"name": "name", "type": 3, "value": "a"}]}}},
    ]],
    "multipart": [],
    "users-file": [json.dumps(x).encode() for x in [
        {"users": [{"name": "alice", "password": "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==", "root": "/alice",
                    "permissions": ["read", "write"], "allow": ["10.0.0.0/8"], "deny": ["::1"], "maxSessions": 2,
                    "quotaBytes": "10M", "quotaFiles": 5, "uploadRate": 65536, "downloadRate": "1M"}]},
        {"users": []},
    ]],
}
# zlib-stream: messages compressed on one context, each ending in a sync flush.
z = zlib.compressobj()
stream = b""
for message in seeds["gateway"][:3]:
    stream += z.compress(message) + z.flush(zlib.Z_SYNC_FLUSH)
seeds["zlib"] = [stream, stream[:len(stream) // 2] + b"\x00\x00\xff\xff"]
# multipart: the first byte chooses where the body is split.
body = (b"--xyzzy\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--xyzzy\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
        b"2\r\n--xyzzy--\r\n")
seeds["multipart"] = [bytes([7]) + body, bytes([200]) + body, bytes([0]) + b"preamble\r\n" + body]
seeds["name-pattern"] = [b"*.txt\nnotes.txt", b"report-??.pdf\nreport-07.pdf", b"[ab]*\nbeta", b"[!a-c]x\ndx",
                        b"*\n.hidden", b"\\*\n*", b"[]a]\n]", b"[[:digit:]]*\n7up", b"*a*b*c\naxbxc"]
seeds["web"] = [b"bytes=0-99", b"bytes=-500", b"bytes=100-", b"bytes=0-0,5-9", b'"v1", W/"v2"', b"*",
                b"Sun, 06 Nov 1994 08:49:37 GMT",
                json.dumps({"p": "d", "s": "guild-1", "n": "a b.txt", "v": "abc", "e": 1790000000, "i": "x1"}).encode(),
                json.dumps({"p": "u", "s": "console", "e": 1790000000, "u": "7", "c": "8", "m": 1024, "i": "y"}).encode(),
                "r\u00e9sum\u00e9 \"final\";\r\nX: y.pdf".encode(),
                b"Sunday, 06-Nov-94 08:49:37 GMT", b"Sun Nov  6 08:49:37 1994"]
seeds["message"] = [b"!upload", b'  !Download "my file.txt" /tmp/x', b"!apagar 'it''s' a\\ b \"\"", b"ftp!list *.pdf",
                    "!listar r\u00e9sum\u00e9 \u200b\U0001F4C4".encode(), b"! upload", b"report (final) *v2*.pdf",
                    b"../../etc/passwd", b"[click](https://evil.example) <@123> ``x` ||s||", "\u0660\u0661".encode(),
                    b"123456789012345678", b" `a` ", ("a" * 254 + " b").encode()]
seeds["settings"] = [b"127.0.0.1:8080", b"[::1]:9100", b"0-1/4", b"3/8", b"10.8.0.0/16", b"2001:db8::/32", b"512K",
                     b"10MiB", b"10.8.0.0/16=10.8.0.2,0.0.0.0/0=ftp.example.net", b"sqlite:/var/lib/c.sqlite",
                     b"postgres://bot@db.example.net:5432/files?sslmode=verify-full",
                     b"postgres://bot:pw@/files?host=/run/postgresql&port=5433"]

for target, inputs in seeds.items():
    directory = os.path.join(here, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    for i, data in enumerate(inputs):
        with open(os.path.join(directory, f"seed-{i}"), "wb") as f:
            f.write(data)
