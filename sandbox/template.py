"""Template databases: migrate and seed once, then start every new SQLite database
of the development service (and of the tests, which build many) from a copy.

A template is keyed by everything its content follows from: the migration head,
the source of the sandbox, registry and database packages (the seed's rows, the
tables' shapes) and the population's reference date. Change any of them and a new
template is made; an old one is simply never read again. Production never comes
here: it migrates its own database (`db.schema.create_schema`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from db.engine import make_engine
from db.schema import create_schema
from sandbox.population import Population
from sandbox.seed import seed_registry

TEMPLATE_DIR = Path(tempfile.gettempdir()) / "hoi-db-templates"
_SQLITE = "sqlite:///"
_PACKAGES = ("sandbox", "registry", "db")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL, else None (PostgreSQL, memory, options)."""
    if not url.startswith(_SQLITE):
        return None
    path = url.removeprefix(_SQLITE)
    if not path or path == ":memory:" or "?" in path:
        return None
    return Path(path)


def _source_digest() -> str:
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in _PACKAGES:
        for module in sorted((root / package).rglob("*.py")):
            digest.update(module.relative_to(root).as_posix().encode())
            digest.update(module.read_bytes())
    return digest.hexdigest()


def template_key(population: Population | None) -> str:
    digest = hashlib.sha256(_source_digest().encode())
    digest.update(population.reference_date.isoformat().encode() if population else b"empty")
    return digest.hexdigest()[:24]


def _build(template: Path, population: Population | None) -> None:
    """Migrate (and seed) a fresh file, then move it into place in one step, so a
    concurrent builder never sees half a template."""
    TEMPLATE_DIR.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=TEMPLATE_DIR)) / "hoi.db"
    engine = make_engine(f"{_SQLITE}{building}")
    try:
        create_schema(engine)
        if population is not None:
            seed_registry(engine, population)
    finally:
        engine.dispose()  # the last connection checkpoints the write-ahead log
    os.replace(building, template)
    shutil.rmtree(building.parent, ignore_errors=True)


def start_from_template(url: str, population: Population | None) -> bool:
    """Create the database at `url` as a copy of the template (seeded with
    `population`'s registry, or empty at the schema's head). False, and nothing
    done, when `url` is not a new SQLite file."""
    target = sqlite_file(url)
    if target is None or target.exists():
        return False
    template = TEMPLATE_DIR / f"{template_key(population)}.db"
    if not template.exists():
        _build(template, population)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return True
