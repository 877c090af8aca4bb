"""ci-host-zammad: an example third-party host adapter for ci-plugin (Zammad 6, REST API v1).

Install the package, then set ``[host] type = "zammad"``; settings of the adapter live in the
plugin's own table, ``[hooks.zammad]`` (see :mod:`ci_host_zammad.adapter`).
"""

from __future__ import annotations

from ci_plugin.hookspecs import hookimpl

__version__ = "1.0.0"


@hookimpl
def ci_register_hosts(add_host):
    """Register the Zammad adapter as host type ``zammad``."""
    from ci_host_zammad.adapter import ZammadAdapter

    add_host(ZammadAdapter.name, ZammadAdapter)
