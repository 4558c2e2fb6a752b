"""Demo users, one per platform role, for `make run` (never created in production)."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from apps.accounts.roles import Role, ensure_role_groups

DEMO_USERS = [
    # username, roles, is_staff (Django admin)
    ("alice", [Role.EMPLOYEE], False),
    ("bob", [Role.EMPLOYEE, Role.APPROVER], False),
    ("carol", [Role.APPROVER], False),
    ("admin", [Role.PLATFORM_ADMIN, Role.EMPLOYEE], True),
    ("dana", [Role.ANALYST], False),
]


def ensure_demo_users(passwords: dict[str, str]) -> dict[str, str]:
    """Create missing demo users; return username -> password (new ones get a random one)."""
    ensure_role_groups()
    User = get_user_model()
    result = {}
    for username, roles, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@k2cloud.local",
                "is_staff": staff,
                "first_name": username.title(),
            },
        )
        password = passwords.get(username)
        if created or not password:
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save()
        user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
        result[username] = password
    return result
