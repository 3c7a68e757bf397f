"""A misbehaving FTP server for the client's error handling. Prints its port, serves one connection, exits.

usage: fake_server.py SCENARIO
"""
import socket, sys, time

import die_with_parent  # noqa: F401 (ends this server with the test process)
scenario = sys.argv[1]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
f = conn.makefile("rb")


def send(text):
    conn.sendall(text.encode())


def expect():
    return f.readline().decode().strip()


def login():
    send("220 fake ready\r\n")
    expect()                      # USER
    send("331 password\r\n")
    expect()                      # PASS
    send("230 in\r\n")
    expect()                      # FEAT
    send("211-Features:\r\n SIZE\r\n211 End\r\n")
    expect()                      # TYPE I
    send("200 binary\r\n")


if scenario == "garbage-greeting":
    send("hello there\r\n")
elif scenario == "truncated-greeting":
    send("220-Welcome\r\n to the fake\r\n")
    time.sleep(0.2)
elif scenario == "silent":
    time.sleep(30)
elif scenario == "wrong-code":
    login()
    expect()                      # SIZE x
    send("999 what\r\n")
elif scenario == "bad-mdtm":
    login()
    expect()                      # MDTM x
    send("213 yesterday\r\n")
    expect()                      # NOOP
    send("200 still here\r\n")
    time.sleep(1)
elif scenario == "close-mid-reply":
    login()
    expect()
    send("213-partial\r\n")
elif scenario == "bad-pasv":
    login()
    expect()                      # EPSV
    send("500 no EPSV\r\n")
    expect()                      # PASV
    send("227 no numbers here\r\n")
    time.sleep(1)
elif scenario == "refused-greeting":
    send("421 too many users\r\n")
elif scenario == "unread-upload":
    # Takes an upload's data connection and never reads it, so the client's writes wait; then reports how the
    # client ended the connection: a reset (the upload abandoned) or a FIN (which says the file is complete).
    login()
    line = expect()
    while not line.startswith("EPSV"):
        send("200 ok\r\n")
        line = expect()
    data_srv = socket.socket()
    data_srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data_srv.bind(("127.0.0.1", 0))
    data_srv.listen(1)
    send("229 Entering Extended Passive Mode (|||%d|)\r\n" % data_srv.getsockname()[1])
    expect()                      # STOR
    data, _ = data_srv.accept()
    send("150 go on\r\n")
    TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8
    while True:                   # the first byte of TCP_INFO is the connection's state
        state = data.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        if state in (TCP_CLOSE, TCP_CLOSE_WAIT):
            break
        time.sleep(0.02)
    try:
        while data.recv(65536):
            pass
        send("226 end of file: the upload was stored as complete\r\n")
    except ConnectionResetError:
        send("426 the upload was reset\r\n")
    expect()
elif scenario == "huge-line":
    send("220 " + "x" * 200_000 + "\r\n")
time.sleep(0.3)
conn.close()
