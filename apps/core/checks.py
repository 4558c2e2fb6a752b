"""System checks that fail closed on unsafe production configuration (ids k2.E0xx)."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_encryption_keys(app_configs=None, **kwargs):
    keys = settings.K2_ENCRYPTION_KEYS
    if not keys:
        return [
            Error(
                "K2_ENCRYPTION_KEYS is empty: secrets cannot be encrypted at rest.",
                hint="Set K2_ENCRYPTION_KEYS to one or more Fernet keys, newest first "
                "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())').",
                id="k2.E001",
            )
        ]
    errors = []
    for index, key in enumerate(keys):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    f"K2_ENCRYPTION_KEYS entry {index + 1} is not a valid Fernet key.", id="k2.E002"
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs=None, **kwargs):
    if "*" in settings.ALLOWED_HOSTS:
        return [Error("ALLOWED_HOSTS must name the portal's hosts, not '*'.", id="k2.E003")]
    return []
