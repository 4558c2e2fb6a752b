"""`manage.py seed_demo`: create the demo users of `make run` and print their passwords.

Passwords are random per machine, kept in var/demo-users.json (mode 600) so they stay
the same across restarts of the demo.
"""

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.demo import DEMO_USERS, ensure_demo_users


class Command(BaseCommand):
    help = "Create one demo user per platform role and print their sign-in names and passwords."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are only created with DEBUG on (make run).")
        path = settings.VAR_DIR / "demo-users.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        passwords = ensure_demo_users(known)
        path.write_text(json.dumps(passwords, indent=2))
        os.chmod(path, 0o600)
        self.stdout.write("Demo users (username / password / roles):")
        for username, roles, _staff in DEMO_USERS:
            labels = ", ".join(str(r.label) for r in roles)
            self.stdout.write(f"  {username:<8} {passwords[username]:<14} {labels}")
