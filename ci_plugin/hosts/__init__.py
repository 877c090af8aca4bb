"""Host adapters: one module per service desk, all following :mod:`ci_plugin.hosts.base`."""
