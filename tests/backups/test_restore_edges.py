"""Restore's edges through the API and the portal: who may restore, which backups, which
names and fields; a refused request starts nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.backups.models import Backup
from apps.operations.models import Operation
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _backup(space, state="verified") -> Backup:
    return Backup.objects.create(space=space, space_slug=space.slug, cluster_names=["wl-test"],
                                 trigger="manual", state=state, checksum="0" * 64,
                                 location=f"spaces/{space.slug}/x.tar.gz")  # fmt: skip


def test_the_owner_restores_into_a_free_name_and_gets_the_operation(space, alice):
    backup = _backup(space)
    response = api_as(alice).post(f"/api/v1/backups/{backup.pk}/restore/",
                                  {"slug": "shop-again", "cluster": "wl-test2"}, format="json")  # fmt: skip
    assert response.status_code == 202, response.json()
    operation = Operation.objects.get(pk=response.json()["id"])
    assert (operation.kind, operation.target_name) == ("backups.restore", "shop-again")
    assert operation.params["cluster"] == "wl-test2"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"slug": "UPPER"}, "slug", "letters"),
    ({"slug": "free-one", "cluster": "nowhere"}, "cluster", "nowhere"),
    ({"slug": "x", "colour": "red"}, "colour", ""),
])  # fmt: skip
def test_bad_input_names_the_field_and_starts_nothing(space, alice, body, field, words):
    backup = _backup(space)
    response = api_as(alice).post(f"/api/v1/backups/{backup.pk}/restore/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in str(response.json()) and words in str(response.json())
    assert not Operation.objects.filter(kind="backups.restore").exists()


def test_the_old_name_while_the_space_lives_and_an_unverified_backup_are_refused(space, alice):
    response = api_as(alice).post(f"/api/v1/backups/{_backup(space).pk}/restore/", {},
                                  format="json")  # fmt: skip
    assert response.status_code == 400 and "taken" in str(response.json())
    failed = _backup(space, state="failed")
    response = api_as(alice).post(f"/api/v1/backups/{failed.pk}/restore/", {"slug": "y"},
                                  format="json")  # fmt: skip
    assert response.status_code == 400 and "verified" in str(response.json())


def test_members_who_never_owned_the_space_may_not_restore_and_outsiders_do_not_see_it(
    space, dev, django_user_model
):
    from apps.accounts.roles import Role
    from tests.conftest import make_user

    backup = _backup(space)
    assert api_as(dev).post(f"/api/v1/backups/{backup.pk}/restore/", {"slug": "z"},
                            format="json").status_code == 403  # fmt: skip
    stranger = make_user(django_user_model, "stranger", Role.EMPLOYEE)
    assert api_as(stranger).post(f"/api/v1/backups/{backup.pk}/restore/", {"slug": "z"},
                                 format="json").status_code == 404  # fmt: skip


def test_the_portal_suggests_a_free_name_and_shows_refusals_in_words(space, alice):
    backup = _backup(space)
    portal = Client()
    portal.force_login(alice)
    page = portal.get(f"/backups/{backup.pk}/restore/")
    assert page.status_code == 200
    assert f'value="{space.slug}-restored"' in page.content.decode()  # the old name is taken
    answer = portal.post(f"/backups/{backup.pk}/restore/", {"slug": space.slug,
                                                            "cluster": "wl-test"})  # fmt: skip
    assert answer.status_code == 200 and "taken" in answer.content.decode()
    done = portal.post(f"/backups/{backup.pk}/restore/", {"slug": "fresh-name",
                                                          "cluster": "wl-test"})  # fmt: skip
    operation = Operation.objects.get(kind="backups.restore")
    assert done.status_code == 302 and done["Location"] == f"/operations/{operation.pk}/"
