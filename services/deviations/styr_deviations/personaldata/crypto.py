"""Encryption at rest (AES-256-GCM) and the keyed search hash (HMAC-SHA256).

Ciphertexts are stored as ``v1.<key id>.<base64(nonce + ciphertext)>`` so a key can be
rotated: new writes use the current key, reads pick the key named in the ciphertext, and
re-encryption moves old rows to the current key. The hash uses a separate key, so a search
by personnummer never needs the plain number in SQL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

_AAD = b"styr-deviations/personal-data"
_VERSION = "v1"


class PersonalDataKeyError(ValueError):
    """A configured key is malformed, or a ciphertext names an unknown key."""


def _parse_key(raw: SecretStr) -> tuple[str, bytes]:
    key_id, sep, encoded = raw.get_secret_value().partition(":")
    if not sep or not key_id or "." in key_id:
        raise PersonalDataKeyError("a personal-data key is '<key id>:<urlsafe base64 of 32 bytes>'")
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PersonalDataKeyError("a personal-data key is not valid base64") from exc
    if len(key) != 32:
        raise PersonalDataKeyError("a personal-data key must be 32 bytes (AES-256)")
    return key_id, key


class PersonalDataCipher:
    def __init__(self, current: SecretStr, old: list[SecretStr], hash_key: SecretStr) -> None:
        self.current_id, current_key = _parse_key(current)
        self._keys = {self.current_id: AESGCM(current_key)}
        for raw in old:
            key_id, key = _parse_key(raw)
            self._keys.setdefault(key_id, AESGCM(key))
        self._hash_key = hash_key.get_secret_value().encode()

    def encrypt(self, document: dict[str, Any]) -> str:
        nonce = os.urandom(12)
        plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = self._keys[self.current_id].encrypt(nonce, plain, _AAD)
        encoded = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{_VERSION}.{self.current_id}.{encoded}"

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]

    def decrypt(self, token: str) -> dict[str, Any]:
        version, key_id, encoded = token.split(".", 2)
        if version != _VERSION or key_id not in self._keys:
            raise PersonalDataKeyError(f"no key {key_id!r} configured for reading personal data")
        raw = base64.urlsafe_b64decode(encoded)
        try:
            plain = self._keys[key_id].decrypt(raw[:12], raw[12:], _AAD)
        except InvalidTag as exc:
            raise PersonalDataKeyError("personal data could not be decrypted (wrong key?)") from exc
        document: dict[str, Any] = json.loads(plain)
        return document

    def search_hash(self, normalised_personnummer: str) -> str:
        return hmac.new(
            self._hash_key, normalised_personnummer.encode(), hashlib.sha256
        ).hexdigest()
