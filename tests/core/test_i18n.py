"""English and Simplified Chinese ship together and stay complete."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["apps", "k2cloud", "templates", "workers", "locale", "manage.py"]


def test_every_string_has_a_simplified_chinese_translation(tmp_path):
    """Extract messages from a copy of the sources; every msgid must have a zh-Hans msgstr."""
    for name in SOURCES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    catalog = polib.pofile(str(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po"))
    missing = [
        e.msgid for e in catalog if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert not missing, f"{len(missing)} strings lack a zh-Hans translation, e.g. {missing[:10]}"


@pytest.mark.django_db
def test_the_portal_speaks_chinese_when_the_browser_asks(client, alice):
    client.force_login(alice)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.9").content.decode()
    assert "空间" in html  # "Spaces" in the navigation
    assert 'lang="zh-hans"' in html


@pytest.mark.django_db
def test_language_switch_in_the_user_menu(client, alice):
    client.force_login(alice)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "审批" in client.get("/").content.decode()  # "Approvals"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Approvals" in client.get("/").content.decode()
