"""The CLI in-process against a provisioned in-memory desk (``tests/unit/memory_desk.py``).

``cli_desk`` patches the commands' ``open_register`` to hand out the desk's register, so a test
runs ``ci-plugin ...`` (fixture ``run_cli``) and then reads what the host holds from the store.
"""

from __future__ import annotations

import pytest

from ci_plugin.cli import cmd_assess, cmd_convert, cmd_evidence, cmd_register, cmd_setup, cmd_workflow
from ci_plugin.ops.convert import convert
from tests.unit.memory_desk import Desk

COMMAND_MODULES = (cmd_assess, cmd_convert, cmd_evidence, cmd_register, cmd_setup, cmd_workflow)


@pytest.fixture
def cli_desk(monkeypatch) -> Desk:
    """A provisioned memory desk that every ``ci-plugin`` command of the test talks to."""
    desk = Desk()
    for module in COMMAND_MODULES:
        monkeypatch.setattr(module, "open_register", lambda *args, **kwargs: desk.register)
        if hasattr(module, "open_registers"):
            monkeypatch.setattr(module, "open_registers", lambda *args, **kwargs: [desk.register])
    from ci_plugin.ops import convert as convert_module

    monkeypatch.setattr(convert_module, "REPAIR_GRACE", 0, raising=False)
    return desk


def improvement(desk: Desk, subject: str = "Printer queue stalls", **options) -> str:
    """A new improvement converted from a new ticket; its id."""
    return convert(desk.register, [desk.ticket(subject)], **options).improvement.id


def writes(desk: Desk) -> int:
    """Write requests the desk's adapter has sent so far."""
    counts = desk.adapter.session.counts
    return counts["POST"] + counts["PUT"]
