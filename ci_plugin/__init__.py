"""ci-plugin: the ITIL 4 continual improvement register, inside an existing service desk.

For plugin authors: ``from ci_plugin import hookimpl`` marks a hook implementation (see
:mod:`ci_plugin.hookspecs` for every hook).
"""

from ci_plugin.hookspecs import hookimpl
from ci_plugin.version import __version__

__all__ = ["__version__", "hookimpl"]
