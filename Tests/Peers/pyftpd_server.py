"""pyftpdlib on an ephemeral loopback port for the client tests. Prints the port, serves until killed.

usage: pyftpd_server.py ROOT USER PASSWORD [tls CERT]
"""
import logging, sys

import die_with_parent  # noqa: F401 (ends this server with the test process)
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

logging.disable(logging.CRITICAL)
root, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
auth = DummyAuthorizer()
auth.add_user(user, password, root, perm="elradfmwMT")
if len(sys.argv) > 5 and sys.argv[4] == "tls":
    # Explicit FTPS with TLS required on the control and the data connections.
    handler = TLS_FTPHandler
    handler.certfile = sys.argv[5]
    handler.tls_control_required = True
    handler.tls_data_required = True
else:
    handler = FTPHandler
handler.authorizer = auth
server = FTPServer(("127.0.0.1", 0), handler)
print(server.address[1], flush=True)
server.serve_forever()
