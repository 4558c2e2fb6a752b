"""Encryption of secrets at rest with the K2_ENCRYPTION_KEYS list (newest key first).

MultiFernet encrypts with the first key and decrypts with any, so rotating a key is:
put the new key first, run `manage.py rotate_encryption_keys` (re-encrypts every stored
secret with the newest key), then drop the old key. With DEBUG on and no keys set, a key
is derived from SECRET_KEY so `make run` works out of the box.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """Stored ciphertext matches none of the configured keys."""


def _derived_debug_key() -> bytes:
    digest = hashlib.sha256(("k2cloud-dev:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("K2_ENCRYPTION_KEYS must list at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"K2_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}"
        ) from exc


def _fernet() -> MultiFernet:
    keys = tuple(settings.K2_ENCRYPTION_KEYS)
    if not keys and settings.DEBUG:
        keys = (_derived_debug_key().decode(),)
    return _fernet_for(keys)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with K2_ENCRYPTION_KEYS") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A Fernet token of `data` (blobs: terminal recordings)."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError("stored data cannot be decrypted with K2_ENCRYPTION_KEYS") from exc


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the newest key (a no-op in meaning, a new token on disk)."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with K2_ENCRYPTION_KEYS") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
