"""The legal-basis catalogue: one YAML file per act under `legal_basis/`.

Lawyers read and edit these files, so a mistake in one must say where it is:
the loader keeps the YAML line of every value and reports a bad file as
`file:line: field: problem`. The catalogue also turns legal-basis ids into
citations ("Sundhedsloven § 43, stk. 1, LBK nr. 275 af 12/03/2025") and tells
how sure we are of each provision (its review status).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from policy.decision import Citation, Reason
from policy.errors import ConfigError
from policy.paths import LEGAL_BASIS_DIR

ReviewStatus = Literal["draft", "unconfirmed", "approved"]
BasisReview = Literal["approved", "draft", "unconfirmed", "unknown"]

# Weakest first: a reason resting on several provisions is as sure as the least sure.
_REVIEW_ORDER: tuple[BasisReview, ...] = ("unknown", "unconfirmed", "draft", "approved")

PROVISION_PLACEHOLDER = re.compile(r"\{([a-z]+(?:-[0-9a-z]+)+)\}")
"""A provision id in braces in a policy message: the service fills in its citation."""

ProvisionId = Annotated[str, Field(pattern=r"^[a-z]+(-[0-9a-z]+)+$", max_length=40)]
ActKey = Annotated[str, Field(pattern=r"^[a-z]+$", max_length=12)]
Text = Annotated[str, Field(min_length=1)]


class LegalBasisError(ConfigError):
    """A legal-basis file that cannot be read or does not match the schema."""

    def __init__(self, file: str, line: int | None, field: str | None, problem: str) -> None:
        where = f"{file}:{line}" if line else file
        detail = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        super().__init__(detail, field=field)
        self.file = file
        self.line = line
        self.problem = problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Review(_Strict):
    """How sure we are. Nothing is `approved` until a named lawyer has signed."""

    status: ReviewStatus
    note: Text
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None

    @model_validator(mode="after")
    def _approval_is_signed(self) -> Review:
        if self.status == "approved" and (not self.reviewed_by or self.reviewed_on is None):
            raise ValueError("an approved provision names reviewed_by and reviewed_on")
        return self


class ConsentCondition(_Strict):
    required: bool
    forms: tuple[Literal["written", "oral"], ...] = ()
    given_by: str | None = None
    max_validity_months: int | None = Field(default=None, ge=1)
    noted_in_record: bool = False

    @model_validator(mode="after")
    def _forms_when_required(self) -> ConsentCondition:
        if self.required and not self.forms:
            raise ValueError("a required consent names the forms it may take")
        return self


class Conditions(_Strict):
    who_may_ask: Text
    data: Text
    to_whom: Text
    consent: ConsentCondition
    age_rules: str | None = None


class Effective(_Strict):
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    precision: Literal["commencement", "consolidation"] = Field(
        description="commencement: the day the rule took effect; consolidation: in force at "
        "least since the consolidated text we cite (the first day is not confirmed)."
    )

    def in_force_on(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class Act(_Strict):
    name: Text
    title: Text
    instrument: Text = Field(description="The text we cite, e.g. LBK nr. 275 af 12/03/2025")
    enacted_by: str | None = None
    consolidated_on: dt.date | None = None
    url: Annotated[str, Field(pattern=r"^https://(www\.retsinformation\.dk|eur-lex\.europa\.eu)/")]
    section_sign: Literal["§", "art."] = "§"
    review: Review


class Provision(_Strict):
    id: ProvisionId
    act: ActKey | None = None
    paragraph: Annotated[str, Field(pattern=r"^\d+( [a-z])?(-\d+)?$")]
    stk: int | None = Field(default=None, ge=1)
    nr: int | None = Field(default=None, ge=1)
    litra: Annotated[str, Field(pattern=r"^[a-z]$")] | None = None
    title: Text
    summary: Text
    conditions: Conditions
    effective: Effective
    in_scope: bool = Field(
        description="True when the policy must encode it: a rule must cite it and a scenario "
        "must exercise that rule. False for context the service relies on but does not decide."
    )
    scope_note: str | None = None
    review: Review

    @model_validator(mode="after")
    def _out_of_scope_says_why(self) -> Provision:
        if not self.in_scope and not self.scope_note:
            raise ValueError("a provision outside the policy's scope says why in scope_note")
        return self


class ActFile(_Strict):
    acts: Annotated[dict[ActKey, Act], Field(min_length=1)]
    provisions: Annotated[list[Provision], Field(min_length=1)]


class ProvisionEntry(BaseModel):
    """A provision as the API and the handbook show it: resolved and located."""

    model_config = ConfigDict(frozen=True)

    id: str
    act: str
    act_name: str
    section: str
    """The act and paragraph without the instrument: 'Sundhedsloven § 43, stk. 1'."""
    citation: str
    url: str
    title: str
    summary: str
    conditions: Conditions
    effective: Effective
    in_scope: bool
    scope_note: str | None
    review: Review
    act_review: Review
    source_file: str
    source_line: int


def _section(act: Act, provision: Provision) -> str:
    sign = "§§" if act.section_sign == "§" and "-" in provision.paragraph else act.section_sign
    parts = [f"{act.name} {sign} {provision.paragraph}"]
    if provision.stk is not None:
        parts.append(f"stk. {provision.stk}")
    if provision.nr is not None:
        parts.append(f"nr. {provision.nr}")
    if provision.litra is not None:
        parts.append(f"litra {provision.litra}")
    return ", ".join(parts)


def citation_text(act: Act, provision: Provision) -> str:
    """'Sundhedsloven § 43, stk. 1, LBK nr. 275 af 12/03/2025'."""
    return f"{_section(act, provision)}, {act.instrument}"


class LegalCatalogue:
    """Every provision of every act file, by id. Implements the PDP's Citations."""

    def __init__(self, entries: dict[str, ProvisionEntry], acts: dict[str, Act]) -> None:
        self.entries = entries
        self.acts = acts
        # Each provision's citation (frozen, so shared by every reason that cites
        # it), and each legal basis's citations and review, made once: a decision
        # annotates every reason it gives.
        self._citations = {
            entry.id: Citation(
                id=entry.id, text=entry.citation, review=entry.review.status, url=entry.url
            )
            for entry in entries.values()
        }
        self._bases: dict[tuple[str, ...], tuple[list[Citation], BasisReview | None]] = {}

    def __contains__(self, provision_id: object) -> bool:
        return provision_id in self.entries

    def get(self, provision_id: str) -> ProvisionEntry | None:
        return self.entries.get(provision_id)

    def citation(self, provision_id: str) -> Citation:
        found = self._citations.get(provision_id)
        if found is None:
            return Citation(
                id=provision_id, text=f"Unknown provision {provision_id}", review="unknown"
            )
        return found

    def basis_review(self, provision_ids: list[str]) -> BasisReview | None:
        """The weakest review status among the provisions, None when there are none."""
        if not provision_ids:
            return None
        statuses = [self.citation(i).review for i in provision_ids]
        return next(s for s in _REVIEW_ORDER if s in statuses)

    def section(self, provision_id: str) -> str | None:
        """'Sundhedsloven § 43, stk. 1' for 'sul-43-1'; None for an unknown id."""
        entry = self.entries.get(provision_id)
        return entry.section if entry is not None else None

    def fill(self, message: str) -> str:
        """A policy message with each provision named in braces ({sul-43-1}) replaced
        by its section from legal_basis/; an unknown id is left as written."""
        if "{" not in message:
            return message
        return PROVISION_PLACEHOLDER.sub(lambda m: self.section(m.group(1)) or m.group(0), message)

    def annotate(self, reason: Reason) -> Reason:
        basis = tuple(reason.legal_basis)
        known = self._bases.get(basis)
        if known is None:
            known = ([self.citation(i) for i in basis], self.basis_review(list(basis)))
            if all(i in self._citations for i in basis):  # only the catalogue's: bounded
                self._bases[basis] = known
        citations, review = known
        return reason.model_copy(
            update={
                "message": self.fill(reason.message),
                "citations": list(citations),
                "basis_review": review,
            }
        )


# --- loading with line numbers -------------------------------------------------


Lines = dict[tuple[Any, ...], int]


def _index(node: yaml.Node, path: tuple[Any, ...], lines: Lines, file: str) -> None:
    """Record the line of every value; refuse duplicate keys (YAML keeps the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise LegalBasisError(
                    file, key_node.start_mark.line + 1, _dotted((*path, key)), "duplicate key"
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            lines[(*path, n)] = item.start_mark.line + 1
            _index(item, (*path, n), lines, file)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _read(path: Path, display: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LegalBasisError(display, None, None, f"cannot read: {exc}") from exc
    loader = yaml.SafeLoader(text)
    lines: dict[tuple[Any, ...], int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise LegalBasisError(display, 1, None, "the file is empty")
        _index(node, (), lines, display)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise LegalBasisError(display, line, None, f"not valid YAML: {exc.problem}") from exc
    finally:
        loader.dispose()
    return data, lines


def _field_name(loc: tuple[Any, ...], data: Any) -> str:
    """provisions[3] becomes provisions[3](sul-43-1) so a lawyer finds it by id."""
    name = _dotted(loc)
    if len(loc) >= 2 and loc[0] == "provisions" and isinstance(loc[1], int):
        try:
            pid = data["provisions"][loc[1]]["id"]
        except (KeyError, IndexError, TypeError):
            return name
        if isinstance(pid, str):
            name = name.replace(f"provisions[{loc[1]}]", f"provisions[{loc[1]}]({pid})", 1)
    return name


def load_act_file(path: Path, root: Path | None = None) -> tuple[ActFile, Lines]:
    """Parse and validate one act file; the line index maps value paths to lines."""
    display = str(path.relative_to(root.parent)) if root else str(path)
    data, lines = _read(path, display)
    try:
        parsed = ActFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise LegalBasisError(
            display, _line_of(loc, lines), _field_name(loc, data), first["msg"]
        ) from exc
    return parsed, lines


def load_legal_catalogue(folder: Path = LEGAL_BASIS_DIR) -> LegalCatalogue:
    """Load every `*.yaml` act file; ids must be unique across files."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise LegalBasisError(str(folder), None, None, "no act files found")
    acts: dict[str, Act] = {}
    entries: dict[str, ProvisionEntry] = {}
    for path in files:
        parsed, lines = load_act_file(path, folder)
        display = str(path.relative_to(folder.parent))
        for key, act in parsed.acts.items():
            if key in acts:
                raise LegalBasisError(
                    display, lines.get(("acts", key)), f"acts.{key}", "act declared in two files"
                )
            acts[key] = act
        for n, provision in enumerate(parsed.provisions):
            where = lines.get(("provisions", n))
            act_key = provision.act or (next(iter(parsed.acts)) if len(parsed.acts) == 1 else None)
            if act_key is None or act_key not in parsed.acts:
                raise LegalBasisError(
                    display,
                    lines.get(("provisions", n, "act"), where),
                    f"provisions[{n}]({provision.id}).act",
                    f"name one of the acts declared in this file: {', '.join(parsed.acts)}",
                )
            if provision.id in entries:
                raise LegalBasisError(
                    display,
                    lines.get(("provisions", n, "id"), where),
                    f"provisions[{n}].id",
                    f"duplicate provision id {provision.id!r} (also in "
                    f"{entries[provision.id].source_file}:{entries[provision.id].source_line})",
                )
            act = parsed.acts[act_key]
            entries[provision.id] = ProvisionEntry(
                id=provision.id,
                act=act_key,
                act_name=act.name,
                section=_section(act, provision),
                citation=citation_text(act, provision),
                url=act.url,
                title=provision.title,
                summary=provision.summary,
                conditions=provision.conditions,
                effective=provision.effective,
                in_scope=provision.in_scope,
                scope_note=provision.scope_note,
                review=provision.review,
                act_review=act.review,
                source_file=display,
                source_line=where or 1,
            )
    return LegalCatalogue(entries, acts)


@lru_cache(maxsize=1)
def legal_catalogue() -> LegalCatalogue:
    """The catalogue of this checkout, read once."""
    return load_legal_catalogue()
