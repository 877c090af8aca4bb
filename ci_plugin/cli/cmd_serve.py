"""``serve``: receive the events hosts push (webhooks) on waitress, convert flagged tickets at once."""

from __future__ import annotations

import argparse
import signal
from typing import Any

from ci_plugin.app import open_register
from ci_plugin.cli import hosts
from ci_plugin.cli.output import err
from ci_plugin.errors import UsageError, register_secret
from ci_plugin.ops.serve_app import MAX_BODY, WebhookApp
from ci_plugin.ops.serve_worker import Worker

#: waitress threads answering requests (the conversions run on the one worker thread).
THREADS = 4
#: waitress buffers a body before the application sees it and refuses (413) one that reaches
#: its own limit: 1 MB plus room for chunk framing, so that the application's exact 1 MB check
#: (:data:`~ci_plugin.ops.serve_app.MAX_BODY`) decides, and nothing much larger is ever buffered.
WAITRESS_BODY_LIMIT = MAX_BODY + 64 * 1024


def add_parsers(add) -> None:
    """Add ``serve``."""
    p = add("serve", "receive the events the host pushes (POST /hooks/<host type>) and convert flagged tickets "
                     "at once", run_serve)
    p.add_argument("--listen", type=listen_address, metavar="HOST:PORT",
                   help="address to listen on (default: [webhooks] listen, 127.0.0.1:8765)")


def listen_address(text: str) -> tuple[str, int]:
    """An argparse ``type`` for ``--listen``: ``HOST:PORT`` with a port from 1 to 65535."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (a port from 1 to 65535)")
    return host, int(port)


class _Stop(Exception):
    """SIGTERM: stop serving, finish the queued work."""


def _on_term(signum: int, frame: Any) -> None:
    raise _Stop()


def run_serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; the work queued by then is finished before exiting."""
    register = open_register(args.config, name=hosts.chosen(args))
    try:
        host, port = args.listen or listen_address(register.config.section("webhooks")["listen"])
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"[webhooks] listen: {exc}") from None
    secret = register.config.webhook_secret()
    register_secret(secret)
    from waitress import create_server  # imported here: only serve needs the WSGI server

    worker = Worker(register)
    app = WebhookApp(register.config.host_type, secret, worker.submit)
    try:
        server = create_server(app, host=host, port=port, threads=THREADS, max_request_body_size=WAITRESS_BODY_LIMIT,
                               ident="ci-plugin", clear_untrusted_proxy_headers=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    worker.start()
    previous = signal.signal(signal.SIGTERM, _on_term)
    err(f"serving POST http://{host}:{port}{app.path} (Ctrl-C to stop)")
    try:
        server.run()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
        worker.stop()
        c = worker.counts
        err(f"serve: {c.converted} converted, {c.not_flagged} not flagged, {c.failed} failed")
    return 0
