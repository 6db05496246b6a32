"""The legal-basis catalogue: every file loads, ids resolve to citations, and a
bad file is refused with its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policy.decision import Reason
from policy.legal import LegalBasisError, load_legal_catalogue
from policy.paths import LEGAL_BASIS_DIR

# Ids the policies and scenarios cite; a catalogue without any of them is broken.
CITED = [
    "sul-17-1", "sul-14", "fal-2", "fal-3-1", "sul-43-1", "sul-44", "sul-41-3", "sul-42a-1",
    "sul-42a-2", "sul-42a-5", "fvl-28-2-1", "rsl-11a-1", "sul-40-1", "fvl-27-1", "bl-133",
]  # fmt: skip


def test_every_cited_id_exists() -> None:
    catalogue = load_legal_catalogue()
    assert [i for i in CITED if i not in catalogue] == []


def test_one_file_per_act() -> None:
    names = sorted(p.name for p in LEGAL_BASIS_DIR.glob("*.yaml"))
    assert names == [
        "barnets_lov.yaml",
        "folkeskoleloven.yaml",
        "foraeldreansvarsloven.yaml",
        "forvaltningsloven.yaml",
        "gdpr.yaml",
        "retssikkerhedsloven.yaml",
        "sundhedsloven.yaml",
    ]


def test_citation_names_act_paragraph_and_consolidation() -> None:
    citation = load_legal_catalogue().citation("sul-43-1")
    assert citation.text == "Sundhedsloven § 43, stk. 1, LBK nr. 275 af 12/03/2025"
    assert citation.url == "https://www.retsinformation.dk/eli/lta/2025/275"
    assert citation.review == "draft"


def test_nothing_is_approved_without_a_lawyer() -> None:
    entries = load_legal_catalogue().entries.values()
    assert all(e.review.status != "approved" for e in entries)


def test_provisions_from_memory_are_unconfirmed() -> None:
    # Items marked M in the legal notes.
    catalogue = load_legal_catalogue()
    for pid in ["sul-42a-2", "rsl-11c", "fsl-12-2", "sul-6", "bl-133"]:
        entry = catalogue.get(pid)
        assert entry is not None
        assert entry.review.status == "unconfirmed", pid


def test_reason_gets_citations_and_the_weakest_review() -> None:
    catalogue = load_legal_catalogue()
    reason = Reason(code="permitted", rule_id="X", legal_basis=["sul-43-1", "rsl-11c"], message="")
    annotated = catalogue.annotate(reason)
    assert [c.id for c in annotated.citations] == ["sul-43-1", "rsl-11c"]
    assert annotated.basis_review == "unconfirmed"
    unknown = catalogue.annotate(reason.model_copy(update={"legal_basis": ["sul-999"]}))
    assert unknown.basis_review == "unknown"
    assert unknown.citations[0].text == "Unknown provision sul-999"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "legal_basis"
    shutil.copytree(LEGAL_BASIS_DIR, folder)
    return folder


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_bad_value_names_file_line_and_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    act = folder / "sundhedsloven.yaml"
    text = act.read_text(encoding="utf-8")
    start = text.index("- id: sul-44")
    text = text[:start] + text[start:].replace("status: draft", "status: maybe", 1)
    act.write_text(text, encoding="utf-8")
    with pytest.raises(LegalBasisError) as caught:
        load_legal_catalogue(folder)
    error = caught.value
    assert error.file == "legal_basis/sundhedsloven.yaml"
    assert error.line == _line_of(act, "status: maybe")
    assert error.field is not None and error.field.endswith("(sul-44).review.status")
    assert str(error).startswith(f"legal_basis/sundhedsloven.yaml:{error.line}: provisions[")


def test_missing_field_points_at_its_provision(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    act = folder / "folkeskoleloven.yaml"
    act.write_text(act.read_text(encoding="utf-8").replace("    title: PPR advises", "    x: PPR"))
    with pytest.raises(LegalBasisError) as caught:
        load_legal_catalogue(folder)
    assert caught.value.field in {"provisions[0](fsl-12-2).title", "provisions[0](fsl-12-2).x"}
    assert caught.value.line is not None and caught.value.line >= _line_of(act, "- id: fsl-12-2")


def test_approval_needs_a_named_lawyer(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    act = folder / "folkeskoleloven.yaml"
    text = act.read_text(encoding="utf-8")
    start = text.index("provisions:")
    act.write_text(text[:start] + text[start:].replace("status: unconfirmed", "status: approved"))
    with pytest.raises(LegalBasisError, match="reviewed_by"):
        load_legal_catalogue(folder)


def test_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    act = folder / "folkeskoleloven.yaml"
    act.write_text(act.read_text(encoding="utf-8").replace("id: fsl-12-2", "id: sul-44"))
    with pytest.raises(LegalBasisError, match="duplicate provision id 'sul-44'") as caught:
        load_legal_catalogue(folder)
    # Files load in name order, so the second one is the Health Act's own entry.
    first = _line_of(act, "id: sul-44")
    assert caught.value.file == "legal_basis/sundhedsloven.yaml"
    assert caught.value.line == _line_of(folder / "sundhedsloven.yaml", "id: sul-44")
    assert f"also in legal_basis/folkeskoleloven.yaml:{first}" in str(caught.value)


def test_duplicate_key_and_broken_yaml_give_lines(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    act = folder / "folkeskoleloven.yaml"
    original = act.read_text(encoding="utf-8")
    twice = '    paragraph: "12"\n    paragraph: "13"\n'
    act.write_text(original.replace('    paragraph: "12"\n', twice))
    with pytest.raises(LegalBasisError, match="duplicate key") as caught:
        load_legal_catalogue(folder)
    assert caught.value.line == _line_of(act, 'paragraph: "13"')
    act.write_text(original.replace("  - id: fsl-12-2", "  - id: [fsl-12-2"))
    with pytest.raises(LegalBasisError, match="not valid YAML"):
        load_legal_catalogue(folder)
