"""``serve`` and ``setup --print-provisioning scrip`` from the command line, and the RT scrip file."""

import pytest

from ci_plugin import config as config_module
from ci_plugin.hosts.rt.adapter import RTAdapter
from ci_plugin.hosts.rt.scrip import description
from ci_plugin.ops import serve_signatures as sig

MEMORY = '[host]\ntype = "memory"\nurl = "http://memory.localhost/x"\ntoken = "unit-token"\n'
RT = ('[host]\ntype = "rt"\nurl = "http://127.0.0.1:9"\ntoken = "unit-token"\n'
      '[rt]\ncandidate_queues = ["Service Desk", "Ops"]\n'
      '[webhooks]\nurl = "http://serve.example:8765"\nsecret_env = "MY_HOOK_SECRET"\n'
      'secret_file = "/etc/rt/hook.secret"\n')


def write(tmp_path, text):
    path = tmp_path / "ci.toml"
    path.write_text(text)
    return path


def test_serve_refuses_a_bad_listen_address_with_exit_2(run_cli, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:  # argparse's own refusal, as for every option
        run_cli("--config", write(tmp_path, MEMORY), "serve", "--listen", "127.0.0.1:99999")
    err = capsys.readouterr().err
    assert caught.value.code == 2 and "is not HOST:PORT" in err and "Traceback" not in err


def test_serve_without_its_secret_says_which_variable_in_one_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("CI_PLUGIN_WEBHOOK_SECRET", raising=False)
    result = run_cli("--config", write(tmp_path, MEMORY), "serve", "--listen", "127.0.0.1:19249")
    assert result.code == 2
    assert result.err.strip() == ("ci-plugin: error: webhooks.secret_env: environment variable "
                                  "CI_PLUGIN_WEBHOOK_SECRET is not set or empty")


def test_a_short_secret_is_refused_without_being_shown(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("CI_PLUGIN_WEBHOOK_SECRET", "short-sec")
    result = run_cli("--config", write(tmp_path, MEMORY), "serve", "--listen", "127.0.0.1:19249")
    assert result.code == 2 and "shorter than 16" in result.err and "short-sec" not in result.err


def test_a_bad_webhooks_table_is_refused_by_the_schema(run_cli, tmp_path):
    result = run_cli("--config", write(tmp_path, MEMORY + '[webhooks]\nlisten = "nowhere"\n'), "serve")
    assert result.code == 2 and "$.webhooks.listen" in result.err


def test_print_provisioning_names_the_steps_a_host_has(run_cli, tmp_path):
    result = run_cli("--config", write(tmp_path, MEMORY), "setup", "--print-provisioning", "scrip")
    assert result.code == 2 and "no provisioning step 'scrip'" in result.err and result.out == ""


def rt_scrip():
    adapter = RTAdapter(config_module.parse(RT, environ={}))
    steps = {step.name: step for step in adapter.manual_steps()}
    assert set(steps) == {"lifecycle", "scrip"} and steps["scrip"].fixes == ()
    return steps["scrip"].content


def test_the_rt_scrip_posts_to_the_serve_url_for_the_candidate_queues_only():
    text = rt_scrip()
    assert "'http://serve.example:8765/hooks/rt'" in text
    assert "Queue                  => ['Service Desk', 'Ops']," in text
    assert f"VALUE => '{description(['Service Desk', 'Ops'])}'" in text  # @Initial replaces an earlier install
    assert "$cf->AddToObject($queue)" in text  # @Final applies the candidate field to those queues
    assert "$ENV{'MY_HOOK_SECRET'}" in text and "'/etc/rt/hook.secret'" in text
    assert "ScripCondition         => 'User Defined'" in text and "HTTP::Tiny->new( timeout => 3 )" in text
    assert "$value eq 'yes'" in text and "'Improvement candidate'" in text


def test_the_rt_scrip_signs_as_serve_verifies():
    # the Perl computes hmac_sha256("$id.$stamp.$body", $key) in base64, the key decoded from whsec_
    text = rt_scrip()
    assert 'hmac_sha256( "$id.$stamp.$body", $key )' in text and "decode_base64($1)" in text
    assert "'webhook-signature' => \"v1,$signature\"" in text
    assert sig.SCHEMES["rt"] == "standard"


def test_print_provisioning_without_a_step_still_prints_only_what_setup_needs(run_cli, tmp_path):
    result = run_cli("--config", write(tmp_path, RT), "setup", "--print-provisioning")
    lifecycle, _ = RTAdapter(config_module.parse(RT, environ={})).manual_steps()
    assert result.code == 0 and result.out == lifecycle.content.rstrip("\n") + "\n"
    assert "@Scrips" not in result.out
