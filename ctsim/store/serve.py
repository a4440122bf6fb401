"""The embedded S3 server's process: moto's app served on a socket the parent already bound.

``python -m ctsim.store.serve FD PORT PARENT_PID``. The parent binds and listens on the
socket before this process exists, so no other process can take the port between a
probe and a bind, and every request on that port reaches this server. The process
dies with its parent (``prctl(PR_SET_PDEATHSIG)``), so a ``kill -9`` of ctsim leaves no
server behind.
"""

from __future__ import annotations

import signal
import sys


def main(argv: list[str]) -> None:
    fd, port, parent = int(argv[0]), argv[1], int(argv[2])
    import os

    from ctsim.processes import die_with_parent

    os.environ["MOTO_PORT"] = port  # moto builds its own URLs from it, as its command line would

    die_with_parent(signal.SIGKILL, expected_parent=parent)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    # host and port are read off the inherited socket; these two only pick its address family.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler, fd=fd)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
