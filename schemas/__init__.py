"""JSON Schemas of ci-plugin (installed as ``ci_plugin.schemas``; read them with importlib.resources)."""
