"""Point ``ci_plugin.hooks`` and ``ci_plugin.schemas`` at this checkout's ``hooks/`` and
``schemas/``: ``setup.cfg`` maps them with ``package_dir``, so an editable install of another
checkout (a shared virtualenv) would otherwise hand the tests that checkout's hooks and schemas
while ``PYTHONPATH`` gives them this checkout's ``ci_plugin``. Imported first by ``conftest``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import ci_plugin

ROOT = Path(__file__).resolve().parents[1]

for _name, _folder in (("hooks", ROOT / "hooks"), ("schemas", ROOT / "schemas")):
    _full = f"ci_plugin.{_name}"
    _current = sys.modules.get(_full)
    if _current is not None and [str(p) for p in getattr(_current, "__path__", [])] == [str(_folder)]:
        continue
    _spec = importlib.util.spec_from_file_location(_full, _folder / "__init__.py",
                                                   submodule_search_locations=[str(_folder)])
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_full] = _module
    _spec.loader.exec_module(_module)
    setattr(ci_plugin, _name, _module)
