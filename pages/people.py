"""Development sign-in: the port through which a composer outside production (the
sandbox) offers synthetic people to sign in as.

Production plugs in nothing, so its sign-in page shows no picker and mints
nothing: a person signs in through the identity provider (pages/oidc.py). The
pages never import the sandbox; `api.services.Plug.sign_in` carries the provider
in, and `build_services` refuses one in production."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class DevPerson:
    """A synthetic person to sign in as. Never a CPR number: the key is opaque."""

    key: str
    kind: Literal["professional", "citizen", "auditor"]
    name: str
    role: str
    organisation: str | None
    """The organisation's name (professionals)."""
    note_da: str
    note_en: str
    """What this person's story shows, in words (no CPR numbers)."""


class DevSignIn(Protocol):
    """Synthetic people, and a development token for one of them."""

    def people(self) -> Sequence[DevPerson]: ...

    def token(self, key: str) -> str | None:
        """A freshly minted development token for the person, or None if unknown."""
        ...

    def landing(self, key: str) -> str | None:
        """Where the person's page opens (a path under /pages), or None for the default."""
        ...
