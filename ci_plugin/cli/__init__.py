"""The ``ci-plugin`` command-line interface (entry point :func:`main`)."""

from ci_plugin.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
