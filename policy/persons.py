"""The people who decide for a child, named without their CPR numbers.

A professional must never learn the CPR number of anyone but the child asked
about, yet a deny must say whose consent is missing, and a professional who
records a consent the family gave them must say whose it is. So every person
who decides for a child (the young person, the custody holders) gets:

- a **handle**: a stable, per-child pseudonym (`p-` and 16 base32 characters
  of HMAC-SHA256 over the child's and the person's CPR numbers with a service
  secret). The same parent has another handle on a sibling, so handles do not
  link a parent across children. Only the service, which reads the CPR
  register, can resolve a handle, and only among the child's own deciders;
- a **label** in words: "the young person", "the custody holder registered as
  mother", "the second custody holder".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policy.facts import ChildRecord

HANDLE_PATTERN = r"^p-[a-z2-7]{16}$"
DEV_HANDLE_KEY = "hoi-development-person-handle-key-not-for-production"

PersonCapacity = Literal["child", "custody_holder"]


class PersonRef(BaseModel):
    """A person who decides for the child, as any caller may see them."""

    model_config = ConfigDict(frozen=True)

    handle: str = Field(pattern=HANDLE_PATTERN, description="Stable per-child pseudonym.")
    capacity: PersonCapacity
    label: str = Field(description='In words, e.g. "the custody holder registered as mother".')


_ORDINALS = ("first", "second", "third", "fourth")


@dataclass(frozen=True)
class PersonHandles:
    """Makes and resolves handles with the service's secret key."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: str) -> PersonHandles:
        return cls(secret.encode("utf-8"))

    def handle(self, child_cpr: str, person_cpr: str) -> str:
        mac = hmac.new(self.key, f"{child_cpr}:{person_cpr}".encode(), hashlib.sha256).digest()
        return "p-" + base64.b32encode(mac[:10]).decode("ascii").lower()

    def deciders(self, child: ChildRecord) -> list[tuple[str, PersonRef]]:
        """(CPR, reference) of the young person and each custody holder."""
        found = [(child.cpr, self.ref(child, child.cpr))]
        found.extend((h, self.ref(child, h)) for h in child.custody_holders)
        return found

    def ref(self, child: ChildRecord, person_cpr: str) -> PersonRef:
        return PersonRef(
            handle=self.handle(child.cpr, person_cpr),
            capacity="child" if person_cpr == child.cpr else "custody_holder",
            label=label(child, person_cpr),
        )

    def resolve(self, child: ChildRecord, handle: str) -> str | None:
        """The CPR number behind a handle among the child's deciders, else None."""
        for cpr, ref in self.deciders(child):
            if hmac.compare_digest(ref.handle, handle):
                return cpr
        return None

    def pseudonym(self, child: ChildRecord | None) -> PseudonymMap:
        return PseudonymMap(self, child)


class PseudonymMap:
    """For one child: a custody holder's (or former one's) CPR number -> handle.
    The child's own number stays: the policy decides about the child by number."""

    def __init__(self, handles: PersonHandles, child: ChildRecord | None) -> None:
        self._handles = handles
        self._child = child
        self._labels: dict[str, PersonRef] = {}

    def __call__(self, person_cpr: str) -> str:
        if self._child is None or person_cpr == self._child.cpr:
            return person_cpr
        ref = self._handles.ref(self._child, person_cpr)
        self._labels[ref.handle] = ref
        return ref.handle

    def describe(self, person: str) -> PersonRef | None:
        """The reference for a handle or the child's own number seen in the policy's answer."""
        if self._child is None:
            return None
        if person == self._child.cpr:
            return self._handles.ref(self._child, person)
        return self._labels.get(person)

    def __iter__(self) -> Iterator[PersonRef]:
        return iter(self._labels.values())


def label(child: ChildRecord, person_cpr: str) -> str:
    """Whose decision, in words, never by number."""
    if person_cpr == child.cpr:
        return "the young person" if child.custody_holders else "the child"
    if person_cpr not in child.custody_holders:
        return "a former custody holder"
    index = child.custody_holders.index(person_cpr)
    relation = child.holder_relation(person_cpr)
    same = [h for h in child.custody_holders if child.holder_relation(h) == relation]
    if relation is not None and len(same) == 1:
        return f"the custody holder registered as {relation}"
    if len(child.custody_holders) == 1:
        return "the sole custody holder"
    return f"the {_ORDINALS[min(index, len(_ORDINALS) - 1)]} custody holder"
