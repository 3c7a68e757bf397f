"""Many sessions at once against a running server, with asyncio sockets (not our client).

usage: many_sessions.py PORT PID SCENARIO
  logins USER PASSWORD N   N logins of USER at once must all get 230; then a wrong password gets 530, and the
                           right one again 230 (a cache must not take the wrong one).
  idle N MAX_KIB           N anonymous sessions logged in and left idle: the server's memory (PSS) may grow by at
                           most MAX_KIB per session, and every session still answers NOOP afterwards.
Prints "ok" and the figures, or "FAILED: why" and exits 1.
"""
import asyncio, resource, sys

port, pid, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def fail(why):
    print("FAILED:", why)
    sys.exit(1)


def pss_kib():
    for line in open("/proc/%d/smaps_rollup" % pid):
        if line.startswith("Pss:"):
            return int(line.split()[1])
    fail("no Pss in smaps_rollup")


async def reply(reader):
    line = await reader.readline()
    code = line[:3]
    if line[3:4] == b"-":
        while not (await reader.readline()).startswith(code + b" "):
            pass
    return code


async def session(user, password):
    """A logged-in session (reader, writer), or the code of the refused login."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=4096)
    if await reply(reader) != b"220":
        fail("no greeting")
    writer.write(b"USER %s\r\n" % user.encode())
    await reply(reader)
    writer.write(b"PASS %s\r\n" % password.encode())
    code = await reply(reader)
    if code != b"230":
        writer.close()
        return code
    return reader, writer


async def open_many(n, user, password):
    # In batches of 500, so this client's own burst does not overflow the server's listen backlog.
    sessions = []
    for i in range(0, n, 500):
        sessions += await asyncio.wait_for(
            asyncio.gather(*[session(user, password) for _ in range(min(500, n - i))]), 240)
    return sessions


async def logins(user, password, n):
    sessions = await open_many(n, user, password)
    refused = [s for s in sessions if isinstance(s, bytes)]
    if refused:
        fail("%d of %d logins refused (%r)" % (len(refused), n, refused[:3]))
    wrong = await session(user, password + "-wrong")
    if wrong != b"530":
        fail("a wrong password got %r, not 530" % (wrong if isinstance(wrong, bytes) else b"230"))
    again = await session(user, password)
    if isinstance(again, bytes):
        fail("the right password after a wrong one got %r" % again)
    for _, w in sessions + [again]:
        w.close()
    print("ok: %d concurrent logins accepted, the wrong password refused" % n)


async def idle(n, max_kib):
    await asyncio.sleep(0.5)
    before = pss_kib()
    sessions = await open_many(n, "anonymous", "idle@")
    refused = [s for s in sessions if isinstance(s, bytes)]
    if refused:
        fail("%d of %d anonymous logins refused (%r)" % (len(refused), n, refused[:3]))
    await asyncio.sleep(2.0)
    per_session = (pss_kib() - before) / n
    for r, w in sessions:
        w.write(b"NOOP\r\n")
    codes = await asyncio.gather(*[reply(r) for r, _ in sessions])
    if any(c != b"200" for c in codes):
        fail("%d idle sessions did not answer NOOP" % sum(c != b"200" for c in codes))
    for _, w in sessions:
        w.close()
    if per_session > max_kib:
        fail("%.1f KiB of server memory per idle session, more than %d" % (per_session, max_kib))
    print("ok: %d idle sessions, %.1f KiB each" % (n, per_session))


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if scenario == "logins":
    asyncio.run(logins(sys.argv[4], sys.argv[5], int(sys.argv[6])))
elif scenario == "idle":
    asyncio.run(idle(int(sys.argv[4]), int(sys.argv[5])))
else:
    sys.exit(2)
