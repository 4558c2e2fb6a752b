"""k2ctl itself, without a server: completion scripts, errors in words, both languages,
and the session file's mode."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.kubeproxy.conftest import K2CTL


def _run(tmp_path, *args, lang="C.UTF-8", **kw):
    env = dict(os.environ, K2CTL_CONFIG_DIR=str(tmp_path / "cfg"), LANG=lang, LC_ALL=lang)
    return subprocess.run([K2CTL, *args], env=env, capture_output=True, text=True, timeout=30, **kw)


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_the_bash_completion_script_registers_k2ctl(tmp_path):
    script = _run(tmp_path, "completion", "bash").stdout
    (tmp_path / "k2ctl.bash").write_text(script)
    out = subprocess.run(["bash", "-c", f"source {tmp_path / 'k2ctl.bash'}; complete -p k2ctl"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "complete" in out.stdout and "k2ctl" in out.stdout
    # What it completes: the commands, from the console script itself.
    env = dict(os.environ, _K2CTL_COMPLETE="bash_complete", COMP_WORDS="k2ctl ku", COMP_CWORD="1",
               K2CTL_CONFIG_DIR=str(tmp_path / "cfg"))  # fmt: skip
    words = subprocess.run([K2CTL], env=env, capture_output=True, text=True, timeout=30).stdout
    assert "kubeconfig" in words


def test_the_zsh_completion_script_is_generated(tmp_path):
    script = _run(tmp_path, "completion", "zsh").stdout
    assert "#compdef k2ctl" in script and "_K2CTL_COMPLETE" in script


def test_errors_are_words_with_kubectls_exit_codes(tmp_path):
    out = _run(tmp_path, "spaces")
    assert out.returncode == 1
    assert out.stderr.startswith("error: Not logged in") and "Traceback" not in out.stderr
    unreachable = _run(tmp_path, "login", "--url", "https://127.0.0.1:9", "--token", "k2p_x")
    assert unreachable.returncode == 1 and "Cannot reach K2Cloud" in unreachable.stderr
    usage = _run(tmp_path, "pods", "no-slash")
    assert usage.returncode == 2 and "SPACE/APP" in usage.stderr


def test_messages_follow_the_locale(tmp_path):
    out = _run(tmp_path, "spaces", lang="zh_CN.UTF-8")
    assert "尚未登录" in out.stderr
