"""``python -m ci_plugin`` runs the command-line interface."""

from ci_plugin.cli import main

raise SystemExit(main())
