"""Every page and the dialog in German, chosen by the browser or by the switcher.

A page is checked against the catalogs themselves: no English sentence that has
a German translation may still be on it.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation
from playwright.sync_api import expect

from bankdemo.banking.models import Account
from tests.browser.test_live_warnings import WARN_SOON, dialog

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    "locale/de/LC_MESSAGES/django.po",
    "sessions_core/locale/de/LC_MESSAGES/django.po",
    "sessions_core/locale/de/LC_MESSAGES/djangojs.po",
]


def english_sentences() -> set[str]:
    """Every English text of three words or more whose German differs, with its
    placeholders and markup cut out (the longest plain run of each)."""
    found = set()
    for catalog in CATALOGS:
        for entry in polib.pofile(str(ROOT / catalog)):
            if entry.msgstr == entry.msgid or not entry.msgstr:
                continue
            runs = re.split(r"<[^>]+>|%\(\w+\)s|%s|%d", entry.msgid)
            longest = max(runs, key=len).strip(" .,:;()")
            if len(longest.split()) >= 3:
                found.add(longest)
    return found


def german(text: str) -> str:
    with translation.override("de"):
        return translation.gettext(text)


def sign_in_de(page, server, path="/login/"):
    page.goto(server.url + path)
    page.locator("#id_username").fill("alice")
    page.locator("#id_password").fill("demo-alice-2026")
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_load_state()


def assert_german(page, where: str, english: set[str]) -> None:
    assert page.evaluate("document.documentElement.lang") == "de", where
    text = " ".join(page.inner_text("body").split())
    left = sorted(sentence for sentence in english if sentence in text)
    assert left == [], f"{where} still in English: {left}"


def test_every_page_in_german_from_the_browsers_language(serve, browser, demo):
    server = serve()
    english = english_sentences()
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        for path in ("/login/", "/help/session-expired/"):
            page.goto(server.url + path)
            assert_german(page, path, english)
        sign_in_de(page, server)
        expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Konten")
        account = Account.objects.filter(owner__username="alice").first()
        for path in (
            "/",
            f"/accounts/{account.pk}/",
            "/transfer/",
            "/sessions/",
            "/confirm/?next=/sessions/",
            "/help/session-expired/",
            "/does-not-exist/",
        ):
            page.goto(server.url + path)
            assert_german(page, path, english)
        page.goto(server.url + "/password/")  # asks to confirm first
        assert_german(page, "/password/", english)
    finally:
        context.close()


def test_the_dialog_in_german(serve, browser, demo):
    server = serve(**WARN_SOON)
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        sign_in_de(page, server)
        box = dialog(page)
        expect(box).to_be_visible(timeout=5000)
        expect(box.get_by_role("heading")).to_have_text(german("Are you still there?"))
        expect(box.get_by_role("button", name=german("Stay signed in"))).to_be_focused()
        expect(box.locator("[data-session-countdown-words]")).to_contain_text("Sekunde")
        assert german("Stay signed in") != "Stay signed in"
        assert_german(page, "the dialog", english_sentences())
        page.keyboard.press("Escape")
        expect(box).to_be_hidden()
    finally:
        context.close()


def test_the_switcher_changes_the_language_and_keeps_the_page(serve, context, demo):
    server = serve()
    page = context.new_page()
    page.goto(server.url + "/help/session-expired/")
    expect(page.locator("h1")).to_have_text("Why you were signed out")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url("**/help/session-expired/")
    expect(page.locator("h1")).to_have_text("Warum Sie abgemeldet wurden")
    page.get_by_label("Sprache").select_option("en-gb")
    page.get_by_role("button", name="Ändern").click()
    expect(page.locator("h1")).to_have_text("Why you were signed out")
