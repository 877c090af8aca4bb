"""The worked example of docs/plugins.md, installed for real with pip and loaded by entry point."""

import subprocess
import sys
from pathlib import Path

import pytest

from ci_plugin import config as config_module
from ci_plugin import plugins
from ci_plugin.errors import SchemaValidationError, VetoError
from ci_plugin.domain.model import Improvement
from ci_plugin.scoring.base import score

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "ci_cost_guard"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """pip-install the example package into a folder and put it on sys.path."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)], check=True)
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("ci_cost_guard", None)


@pytest.fixture
def manager(installed_example, monkeypatch):
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV, raising=False)
    return plugins.PluginManager()


def test_the_example_is_discovered_through_its_entry_point(manager):
    info = next(i for i in manager.infos if i.name == "cost_guard")
    assert (info.origin, info.enabled, info.version) == ("external", True, "1.0.0")
    assert info.hooks == ["ci_guard_transition", "ci_register_scoring_models"]


def test_its_scoring_model_is_registered_and_scores_with_a_breakdown(manager):
    model = manager.scoring_models()["payback"]
    result = score(model, {"benefit": "12000", "cost": 4000}, {})
    assert result.value == 3.0
    assert [c.input for c in result.breakdown] == ["benefit", "cost"]
    with pytest.raises(SchemaValidationError, match=r"\$\.cost"):
        score(model, {"benefit": 1, "cost": 0}, {})
    assert {"weighted", "wsjf", "rice", "ice", "quadrant", "payback"} <= set(manager.scoring_models())


class FakeRegister:
    def __init__(self, budget):
        self.config = config_module.parse(
            f'[host]\ntype = "rt"\nurl = "http://h"\ntoken = "t"\n[hooks.cost_guard]\nbudget = {budget}\n')


def test_its_guard_refuses_approval_over_budget_and_names_itself(manager):
    over = Improvement("5", "Replace the SAN", "assessing", values={"business_case": {"benefit": 1, "cost": 90000}})
    with pytest.raises(VetoError, match="transition refused by cost_guard: cost 90000 is over the budget of 50000"):
        manager.guard_transition(improvement=over, from_state="assessing",
                      to_state="approved", register=FakeRegister(50000))
    within = Improvement("6", "Tune alerts", "assessing", values={"business_case": {"benefit": 1, "cost": 900}})
    manager.guard_transition(improvement=within, from_state="assessing",
                  to_state="approved", register=FakeRegister(50000))


def test_it_can_be_switched_off(installed_example, monkeypatch):
    monkeypatch.setenv(plugins.DISABLE_EXTERNAL_ENV, "1")
    assert "payback" not in plugins.PluginManager().scoring_models()
    monkeypatch.delenv(plugins.DISABLE_EXTERNAL_ENV)
    assert "payback" not in plugins.PluginManager(disabled=["cost_guard"]).scoring_models()
