"""Real Chromium: each demo role signs in and sees the navigation of its role."""

import pytest

from apps.accounts.demo import ensure_demo_users
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "alice": ["Spaces", "Apps", "Events", "Approvals", "Clusters", "Terminals"],
    "carol": ["Spaces", "Apps", "Events", "Approvals", "Clusters"],
    "admin": [
        "Spaces",
        "Apps",
        "Events",
        "Approvals",
        "Clusters",
        "IPAM",
        "Registries",
        "Analytics",
        "Reconciler",
        "Audit",
        "Terminals",
    ],
    "dana": ["Spaces", "Apps", "Events", "Approvals", "Clusters", "Analytics"],
}


def test_each_demo_role_sees_its_navigation(page):
    passwords = ensure_demo_users({})
    for username, expected in EXPECTED.items():
        sign_in(page, username, passwords[username])
        nav = page.locator("[data-testid=main-nav] .nav-link-title").all_inner_texts()
        assert nav == expected, username
        page.click("[data-testid=user-menu] > a")
        page.click("[data-testid=sign-out]")
        page.wait_for_selector("input[name=username]")


def test_wrong_password_is_explained_in_the_browser(page):
    ensure_demo_users({})
    page.goto("/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.inner_text("[data-testid=login-error]")


# Draws two characters of the element's own text in its computed font: with a CJK font
# they differ and have ink; without one Chromium draws the same empty box for both.
CJK_GLYPHS = """(selector) => {
  const el = document.querySelector(selector);
  const chars = [...el.innerText].filter((c) => /[\\u4e00-\\u9fff]/.test(c));
  const distinct = [...new Set(chars)].slice(0, 2);
  if (distinct.length < 2) return {chars: distinct.length};
  const font = `32px ${getComputedStyle(el).fontFamily}`;
  const draw = (c) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const ctx = canvas.getContext("2d");
    ctx.font = font;
    ctx.fillText(c, 4, 38);
    return Array.from(ctx.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3));
  };
  const [a, b] = distinct.map(draw);
  return {chars: distinct.length, ink: Math.min(a.filter(Boolean).length, b.filter(Boolean).length),
          same: a.every((v, i) => v === b[i]), font};
}"""


def test_chinese_pages_render_chinese_characters_not_boxes(page):
    passwords = ensure_demo_users({})
    sign_in(page, "alice", passwords["alice"])
    page.click("[data-testid=user-menu] > a")
    page.select_option("#k2-language", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")
    result = page.evaluate(CJK_GLYPHS, "[data-testid=main-nav]")
    assert result["chars"] == 2, result  # the navigation is in Chinese
    assert result["ink"] > 20 and not result["same"], result
