"""What a newcomer reads in `make run`: refusals as one log line, mails in a mailbox page,
and a favicon."""

import logging

import pytest
from django.core.mail import send_mail

pytestmark = pytest.mark.django_db


def test_an_expected_refusal_is_one_log_line_without_traceback(client, alice, caplog, settings):
    settings.DEBUG = True
    client.force_login(alice)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/audit/").status_code == 403  # PermissionDenied in the view
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and "Forbidden" in records[0].getMessage()
    assert records[0].exc_info is None and not records[0].exc_text


def test_a_server_error_keeps_its_traceback(client, alice, caplog, settings):
    settings.ROOT_URLCONF = "tests.core.error_urls"
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/api/v1/test-boom/").status_code == 500
    assert any(r.exc_info for r in caplog.records if r.name == "django.request")


def test_the_demo_mailbox_shows_each_person_their_mail(client, alice, bob, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    alice.email, bob.email = "alice@example.com", "bob@example.com"
    alice.save(), bob.save()
    client.force_login(alice)
    assert 'data-testid="mailbox-empty"' in client.get("/mail/").content.decode()
    send_mail("Approval needed: prod space", "Please decide.\nThanks", None, ["alice@example.com"])
    send_mail("For bob only", "secret", None, ["bob@example.com"])
    page = client.get("/mail/").content.decode()
    assert page.count('data-testid="mail"') == 1 and "Approval needed: prod space" in page
    assert "Please decide." in page and "For bob only" not in page
    assert 'data-testid="demo-mailbox"' in page  # linked from the user menu
    client.force_login(bob)
    assert "For bob only" in client.get("/mail/").content.decode()


def test_no_mailbox_where_mail_is_really_sent(client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(alice)
    assert client.get("/mail/").status_code == 404
    assert 'data-testid="demo-mailbox"' not in client.get("/").content.decode()


def test_every_page_has_a_favicon(client, alice):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert client.get("/static/src/favicon.svg").status_code == 200
