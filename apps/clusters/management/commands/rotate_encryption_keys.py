"""`manage.py rotate_encryption_keys`: re-encrypt stored secrets with the newest key.

Put the new key first in K2_ENCRYPTION_KEYS (keep the old ones after it), run this, then
drop the old keys. Covers cluster credentials (the only secrets stored so far).
"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.actors import Actor
from apps.clusters.services import do_rotate_cluster_credentials
from apps.core.crypto import DecryptionError


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of K2_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        try:
            count = do_rotate_cluster_credentials(
                actor=Actor.cli("manage.py rotate_encryption_keys")
            )
        except DecryptionError as exc:
            raise CommandError(
                f"{exc}: keep the old key in the list until rotation is done"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"re-encrypted the credentials of {count} cluster(s)"))
