"""The rules of the Rego policies as lawyers and checks see them.

Every rule that permits or denies carries METADATA (title, description,
custom.rule_id, custom.legal_basis). Two readers produce the same index:

- `definitions_from_opa_ast` reads `opa parse --format json` output: exact,
  and it also finds the rule ids and legal bases each rule *returns*. The
  conventions check uses it (CI has opa).
- `annotations_from_source` reads the METADATA comments directly, so the
  handbook and the API can list rules without an opa binary. A test checks
  that both readers agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

# The rule names in package hoi.routes whose every definition decides something.
ROUTES_PACKAGE = "hoi.routes"
DECIDING_RULES: dict[str, Literal["route", "denial", "alternative"]] = {
    "route": "route",
    "denial": "denial",
    "alternative": "alternative",
}

RuleKind = Literal["route", "denial", "alternative", "other"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleAnnotation(_Frozen):
    """One rule's METADATA, where it is, and what kind of rule it is."""

    package: str
    name: str
    file: str
    row: int
    title: str | None = None
    description: str | None = None
    rule_id: str | None = None
    legal_basis: tuple[str, ...] | None = None
    messages: dict[str, str] = Field(default_factory=dict)
    """Message templates by key (the reason code, or code.variant): the rule's words."""
    scenario_exempt: str | None = None
    """Why no scenario can exercise the rule (a guard the service's own validation
    keeps unreachable); the Rego tests and tests/engine exercise it instead."""

    @property
    def kind(self) -> RuleKind:
        if self.package == ROUTES_PACKAGE and self.name in DECIDING_RULES:
            return DECIDING_RULES[self.name]
        return "other"


class Emitted(_Frozen):
    """A rule id a rule returns: through the reason helper (with the message key it
    asks for), or as a literal `"rule_id": "X"` in an object it builds."""

    rule_id: str
    legal_basis: tuple[str, ...] | None
    row: int
    key: str | None = None
    """The message key of a helper call (None when not a literal)."""
    hand_built: bool = False
    """An object literal with both "code" and "rule_id": a reason built by hand."""


class RuleDefinition(_Frozen):
    """One definition (head and body) of a rule in a module."""

    package: str
    name: str
    file: str
    row: int
    annotation: RuleAnnotation | None
    emitted: tuple[Emitted, ...] = ()

    @property
    def kind(self) -> RuleKind:
        if self.package == ROUTES_PACKAGE and self.name in DECIDING_RULES:
            return DECIDING_RULES[self.name]
        return "other"


def _annotation(
    meta: dict[str, Any], package: str, name: str, file: str, row: int
) -> RuleAnnotation:
    custom = meta.get("custom")
    custom = custom if isinstance(custom, dict) else {}
    basis = custom.get("legal_basis")
    rule_id = custom.get("rule_id")
    exempt = custom.get("scenario_exempt")
    return RuleAnnotation(
        package=package,
        name=name,
        file=file,
        row=row,
        title=meta.get("title") if isinstance(meta.get("title"), str) else None,
        description=meta.get("description") if isinstance(meta.get("description"), str) else None,
        rule_id=rule_id if isinstance(rule_id, str) else None,
        legal_basis=tuple(str(b) for b in basis) if isinstance(basis, list) else None,
        messages=_messages(custom.get("messages")),
        scenario_exempt=exempt if isinstance(exempt, str) else None,
    )


def _messages(value: Any) -> dict[str, str]:
    """custom.messages: a mapping of message key to template (non-strings dropped,
    so that the conventions check reports the key as missing)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): " ".join(v.split()) for k, v in value.items() if isinstance(v, str)}


# --- from opa's AST -----------------------------------------------------------


def _string(term: Any) -> str | None:
    if isinstance(term, dict) and term.get("type") == "string":
        value = term.get("value")
        return value if isinstance(value, str) else None
    return None


def _strings(term: Any) -> tuple[str, ...] | None:
    if not (isinstance(term, dict) and term.get("type") == "array"):
        return None
    values = [_string(t) for t in term.get("value", [])]
    return tuple(v for v in values if v is not None) if None not in values else None


def _objects(node: Any) -> Iterator[list[list[Any]]]:
    """Every object literal (as its key/value pairs) anywhere in an AST node."""
    if isinstance(node, dict):
        if node.get("type") == "object" and isinstance(node.get("value"), list):
            yield node["value"]
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item)


REASON_PACKAGE = "hoi.reason"
"""The package whose helper builds every reason (rego/hoi/reason)."""

REASON_HELPERS = ("build", "with_fields")


def _helper_calls(node: Any) -> Iterator[list[Any]]:
    """Every call of the reason helper (data.hoi.reason.build/with_fields), as its terms."""
    if isinstance(node, dict):
        if node.get("type") == "call" and isinstance(node.get("value"), list):
            terms = node["value"]
            ref = terms[0].get("value", []) if terms and isinstance(terms[0], dict) else []
            path = [t.get("value") for t in ref if isinstance(t, dict)]
            if path == ["data", *REASON_PACKAGE.split("."), path[-1]] and (
                path[-1] in REASON_HELPERS
            ):
                yield terms
        for value in node.values():
            yield from _helper_calls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _helper_calls(item)


def _emitted(rule: dict[str, Any]) -> tuple[Emitted, ...]:
    found = []
    for pairs in _objects(rule):
        fields = {_string(k): v for k, v in pairs if _string(k) is not None}
        rule_id = _string(fields.get("rule_id"))
        if rule_id is None:
            continue
        row = fields["rule_id"].get("location", {}).get("row", 0)
        found.append(
            Emitted(
                rule_id=rule_id,
                legal_basis=_strings(fields.get("legal_basis")),
                row=row,
                hand_built="code" in fields,
            )
        )
    for terms in _helper_calls(rule):
        rule_id = _string(terms[1]) if len(terms) > 2 else None
        if rule_id is None:
            continue  # a route's failure reasons: the id is the route's (r.rule_id)
        row = terms[1].get("location", {}).get("row", 0)
        found.append(Emitted(rule_id=rule_id, legal_basis=None, row=row, key=_string(terms[2])))
    return tuple(found)


def _package(ast: dict[str, Any]) -> str:
    path = ast.get("package", {}).get("path", [])
    return ".".join(str(t.get("value")) for t in path[1:])


def _rule_name(rule: dict[str, Any]) -> str:
    head = rule.get("head", {})
    if isinstance(head.get("name"), str) and head["name"]:
        return str(head["name"])
    ref = head.get("ref", [])
    return str(ref[0].get("value")) if ref else "?"


def definitions_from_opa_ast(ast: dict[str, Any], file: str) -> list[RuleDefinition]:
    """The rule definitions of one module, from `opa parse --format json
    --json-include locations` output."""
    package = _package(ast)
    definitions = []
    for rule in ast.get("rules", []):
        name = _rule_name(rule)
        row = int(rule.get("location", {}).get("row", 0))
        metas = [a for a in rule.get("annotations", []) if a.get("scope", "rule") == "rule"]
        annotation = _annotation(metas[0], package, name, file, row) if metas else None
        definitions.append(
            RuleDefinition(
                package=package,
                name=name,
                file=file,
                row=row,
                annotation=annotation,
                emitted=_emitted(rule),
            )
        )
    return definitions


# --- from the source ------------------------------------------------------------

_PACKAGE = re.compile(r"^package\s+([\w.]+)")
_RULE_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def _metadata_blocks(lines: list[str]) -> Iterator[tuple[str, int]]:
    """(yaml text, row of the line after the comment block) for each METADATA block."""
    n = 0
    while n < len(lines):
        if lines[n].strip() == "# METADATA":
            body = []
            n += 1
            while n < len(lines) and lines[n].startswith("#"):
                text = lines[n][1:]
                body.append(text[1:] if text.startswith(" ") else text)
                n += 1
            yield "\n".join(body), n + 1
        else:
            n += 1


def annotations_in_module(text: str, file: str) -> list[RuleAnnotation]:
    lines = text.splitlines()
    package = next((m.group(1) for line in lines if (m := _PACKAGE.match(line))), "")
    found = []
    for body, row in _metadata_blocks(lines):
        head = lines[row - 1] if row - 1 < len(lines) else ""
        match = _RULE_HEAD.match(head)
        if head.startswith("package") or match is None:
            continue  # package-scoped metadata
        meta = yaml.safe_load(body) or {}
        # An entrypoint's METADATA is document-scoped in OPA; so is an explicit scope.
        if (
            isinstance(meta, dict)
            and not meta.get("entrypoint")
            and meta.get("scope", "rule") == "rule"
        ):
            found.append(_annotation(meta, package, match.group(1), file, row))
    return found


def rego_modules(rego_dir: Path) -> list[Path]:
    """The policy modules (tests excluded), in a stable order."""
    return sorted(p for p in rego_dir.rglob("*.rego") if not p.name.endswith("_test.rego"))


def annotations_from_source(rego_dir: Path) -> list[RuleAnnotation]:
    """Every rule-scoped METADATA block of the policy modules under rego_dir."""
    found = []
    for path in rego_modules(rego_dir):
        file = path.relative_to(rego_dir.parent).as_posix()
        found += annotations_in_module(path.read_text(encoding="utf-8"), file)
    return found


# --- the rules document ---------------------------------------------------------

ROUTE_MESSAGES = "route_messages"
"""custom.route_messages in hoi.routes' package METADATA: the words every route
shares (its permit, and each requirement it may find unmet)."""


def package_metadata(text: str) -> dict[str, Any]:
    """The package-scoped METADATA of a module (the block above `package`)."""
    lines = text.splitlines()
    for body, row in _metadata_blocks(lines):
        head = lines[row - 1] if row - 1 < len(lines) else ""
        if head.startswith("package"):
            meta = yaml.safe_load(body) or {}
            return meta if isinstance(meta, dict) else {}
    return {}


def shared_route_messages(rego_dir: Path) -> dict[str, str]:
    """The messages every route shares, from hoi.routes' package METADATA."""
    for path in rego_modules(rego_dir):
        text = path.read_text(encoding="utf-8")
        if any(
            m.group(1) == ROUTES_PACKAGE
            for line in text.splitlines()
            if (m := _PACKAGE.match(line))
        ):
            custom = package_metadata(text).get("custom")
            if isinstance(custom, dict):
                return _messages(custom.get(ROUTE_MESSAGES))
    return {}


def rules_document(rego_dir: Path) -> dict[str, Any]:
    """data.hoi.rules: every annotated rule's words keyed by its rule id (title,
    legal basis, kind, message templates), for the reason helper. A route also
    carries the messages every route shares."""
    shared = shared_route_messages(rego_dir)
    document: dict[str, Any] = {}
    for a in annotations_from_source(rego_dir):
        if a.rule_id is None:
            continue
        messages = {**shared, **a.messages} if a.kind == "route" else dict(a.messages)
        document[a.rule_id] = {
            "title": a.title,
            "kind": a.kind,
            "legal_basis": list(a.legal_basis or ()),
            "messages": messages,
            # The reason code of each message: its key up to the first dot
            # (worked out here: splitting strings is slow in the embedded engine).
            "codes": {key: key.split(".")[0] for key in messages},
        }
    return document
