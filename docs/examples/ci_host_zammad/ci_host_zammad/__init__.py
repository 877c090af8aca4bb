"""ci-host-zammad: an example third-party host adapter for ci-plugin (Zammad 6, REST API v1).

Install the package, then set ``[host] type = "zammad"``. The adapter's settings live in a table
the package owns, ``[zammad]``: declared here with its JSON Schema, validated by ci-plugin with
the rest of the file (see :mod:`ci_host_zammad.settings`). The adapter is
:class:`ci_host_zammad.adapter.ZammadAdapter`.
"""

from __future__ import annotations

from ci_plugin import hookimpl

from ci_host_zammad.settings import SCHEMA, SECTION

__version__ = "1.0.0"


@hookimpl
def ci_register_hosts(add_host):
    """Register the Zammad adapter as host type ``zammad``."""
    from ci_host_zammad.adapter import ZammadAdapter

    add_host(ZammadAdapter.name, ZammadAdapter)


@hookimpl
def ci_register_config_sections(add_section):
    """Own the ``[zammad]`` table: ci-plugin validates it against :data:`SCHEMA` and fills in
    its defaults before the adapter is built."""
    add_section(SECTION, SCHEMA)
