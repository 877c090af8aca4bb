"""Built-in hook plugins that an admin enables (installed as ``ci_plugin.hooks``).

Each module here is one plugin; its module name is the name used in ``[hooks] enabled`` and by
``ci-plugin hooks enable NAME``. See ``ci_plugin.hookspecs`` for the hooks they implement.
"""
