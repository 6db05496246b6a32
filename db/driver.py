"""Statements on a hot path, run on the DB-API driver's own cursor.

SQLAlchemy still does what it is for: it compiles each statement once for the
engine's dialect (placeholders, quoting, the IN list of an expanding parameter)
and turns every column into its Python value and back as the column's type says
(JSON, dates, times, booleans differ between SQLite and PostgreSQL). What is left
out is its per-execution machinery (execution context, cache-key generation,
result-proxy set-up): about 0.3 ms of CPU a statement on this machine against
0.02-0.04 ms for SQLite's own work, most of what a decision's registry read and an
audit append cost (`python -m bench.db_paths`; BENCHMARKS.md, s30).

Only for statements whose parameters and columns are plain table columns; every
other statement goes through SQLAlchemy as usual."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]


class Row:
    """A fetched row: its columns by name, converted to Python values."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


class _Mark:
    """Stands for one value while a statement's parameters are laid out."""

    __slots__ = ("index", "name")

    def __init__(self, name: str, index: int | None) -> None:
        self.name = name
        self.index = index


# Where each of the driver's parameters comes from: a value's name and, for an
# expanding parameter, its position in the list; or a constant of the statement.
_Slot = tuple[str, str, int | None] | tuple[str, None, Any]


class DriverStatement:
    """One statement compiled for one dialect, run on a DB-API cursor.

    `columns` are the columns the statement reads (for the result's conversion)
    and `binds` the columns its named parameters are written to (for the
    parameters' conversion); a parameter not named in `binds` is passed as it is.
    An expanding parameter (an IN list) takes a list; the SQL text for each
    length is laid out once."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        *,
        columns: Sequence[Column[Any]] = (),
        binds: Mapping[str, Column[Any]] | None = None,
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(binds or ()) or None)
        assert isinstance(compiled, SQLCompiler)
        self._compiled = compiled
        self._dialect = dialect
        self._expanding = {b.key for b in compiled.binds.values() if b.expanding}
        self._names = [column.key for column in columns]
        self._readers: list[Processor | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._writers: dict[str, Processor] = {}
        for name, column in (binds or {}).items():
            writer = column.type.dialect_impl(dialect).bind_processor(dialect)
            if writer is not None:
                self._writers[name] = writer
        self._layouts: dict[tuple[tuple[str, int | None], ...], tuple[str, list[_Slot]]] = {}

    def _layout(self, shape: tuple[tuple[str, int | None], ...]) -> tuple[str, list[_Slot]]:
        """The SQL text for values of this shape, and where each of the driver's
        parameters (in the dialect's order) comes from."""
        found = self._layouts.get(shape)
        if found is not None:
            return found
        sample: dict[str, Any] = {
            name: _Mark(name, None) if length is None else [_Mark(name, i) for i in range(length)]
            for name, length in shape
        }
        state = self._compiled.construct_expanded_state(sample)
        order = state.positiontup if state.positiontup is not None else list(state.parameters)
        slots: list[_Slot] = []
        for key in order:
            value = state.parameters[key]
            if isinstance(value, _Mark):
                slots.append((key, value.name, value.index))
            else:
                slots.append((key, None, value))  # the statement's own constant
        found = self._layouts[shape] = (state.statement, slots)
        return found

    def _expanded(self, values: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL text and the driver's parameters for `values` (positional or
        named, as the dialect's paramstyle wants)."""
        expanding = self._expanding
        shape = tuple(
            (name, len(value) if name in expanding else None) for name, value in values.items()
        )
        statement, slots = self._layout(shape)
        writers = self._writers
        laid: list[tuple[str, Any]] = []
        for key, name, where in slots:
            if name is None:
                laid.append((key, where))
                continue
            value = values[name] if where is None else values[name][where]
            writer = writers.get(name)
            laid.append((key, value if writer is None else writer(value)))
        if self._compiled.positional:
            return statement, tuple(value for _, value in laid)
        return statement, dict(laid)

    def execute(self, cursor: Any, values: Mapping[str, Any] | None = None) -> Any:
        statement, parameters = self._expanded(values or {})
        with self._as_sqlalchemy_error(statement):
            cursor.execute(statement, parameters)
        return cursor

    def execute_many(self, cursor: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        statement = ""
        parameters = []
        for values in rows:
            statement, one = self._expanded(values)
            parameters.append(one)
        if parameters:
            with self._as_sqlalchemy_error(statement):
                cursor.executemany(statement, parameters)

    @contextmanager
    def _as_sqlalchemy_error(self, statement: str) -> Iterator[None]:
        """The driver's errors as SQLAlchemy raises them (IntegrityError,
        OperationalError, ...), so callers catch one family; the parameters (a
        child's CPR number among them) are left out of the message."""
        base = self._dialect.loaded_dbapi.Error
        try:
            yield
        except base as exc:
            raise DBAPIError.instance(
                statement, None, exc, base, hide_parameters=True, dialect=self._dialect
            ) from exc

    def rows(self, cursor: Any, values: Mapping[str, Any] | None = None) -> list[Row]:
        """Run the SELECT and fetch its rows, each column converted."""
        self.execute(cursor, values)
        names, readers = self._names, self._readers
        return [
            Row(
                {
                    name: reader(value) if reader is not None else value
                    for name, reader, value in zip(names, readers, raw, strict=True)
                }
            )
            for raw in cursor.fetchall()
        ]
