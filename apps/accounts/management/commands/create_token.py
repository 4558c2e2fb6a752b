"""`manage.py create_token USERNAME [--name N] [--expires-days N]`: print a new token once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import do_create_token
from apps.audit.actors import Actor


class Command(BaseCommand):
    help = "Create a personal access token for a user and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="created by manage.py create_token")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, username, name, expires_days, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        try:
            # The operator at the shell acts (for the user); the user is the token's owner.
            actor = Actor.cli("manage.py create_token", detail=f"for {user.get_username()}")
            _token, raw = do_create_token(user, name, expires_days=expires_days, actor=actor)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(raw)
