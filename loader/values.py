"""Turn one exported cell into the warehouse's canonical text, or say what was expected.

Every function takes the raw cell (already trimmed) and returns the canonical value, or None for
an empty cell; a cell that breaks the contract raises ValueError with the expectation in words.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Callable

from loader.contracts import INT_RANGE, Column, FileKind

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_INT = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOLS = {
    "true": "1", "false": "0", "1": "1", "0": "0", "y": "1", "n": "0", "yes": "1", "no": "0",
    "t": "1", "f": "0",
}
_STATUSES = {"p": "P", "present": "P", "a": "A", "absent": "A"}


def parse_date(cell: str) -> str:
    """ISO `YYYY-MM-DD` or day-first `DD-MM-YYYY` / `DD/MM/YYYY` (as Indian spreadsheets
    write them) to ISO. Month-first US dates are not accepted: 03/04/2024 is 3 April."""
    m = _ISO_DATE.match(cell)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DAY_FIRST.match(cell)
        if not m:
            raise ValueError("expected a date as YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY")
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if mo > 12:
            raise ValueError(f"expected a day-first date (DD-MM-YYYY); there is no month {mo}")
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        raise ValueError("expected a real calendar date") from None


EXCERPT_CHARS = 60  # the most of a cell or a record that a reason, error or log line quotes


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A value as reasons and messages may quote it: its first `limit` characters, and its
    length when it is longer (exports hold roll numbers and dates of birth: no message carries
    more of a row than this)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _number(value: float, text: str, low: float, high: float) -> None:
    """Refuse a number outside [low, high], naming the range (the column's domain)."""
    if not low <= value <= high:
        raise ValueError(f"expected a number from {low:g} to {high:g}, found "
                         f"{text if len(text) <= 24 else text[:24] + '...'}")


def parse_int(cell: str, low: float = INT_RANGE[0], high: float = INT_RANGE[1]) -> str:
    if not _INT.match(cell):
        raise ValueError("expected a whole number")
    digits = cell.lstrip("+-").lstrip("0")
    # More digits than any bound has is out of range without converting (Python refuses to
    # convert more than 4,300 digits, and a long cell would cost time for nothing).
    value = int(cell) if len(digits) <= 20 else (-1 if cell[0] == "-" else 1) * 10 ** 20
    _number(value, cell, max(low, INT_RANGE[0]), min(high, INT_RANGE[1]))
    return str(value)


def parse_float(cell: str, low: float = -math.inf, high: float = math.inf) -> str:
    if not _DECIMAL.match(cell):
        raise ValueError("expected a number such as 42 or 42.5")
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    _number(value, cell, low, high)
    return repr(value)  # shortest text that round-trips to the same double on every engine


def parse_bool(cell: str) -> str:
    try:
        return _BOOLS[cell.casefold()]
    except KeyError:
        raise ValueError("expected a boolean: True/False, 1/0, Y/N or Yes/No") from None


def parse_status(cell: str) -> str:
    try:
        return _STATUSES[cell.casefold()]
    except KeyError:
        raise ValueError("expected an attendance status: P, A, Present or Absent") from None


_PARSERS: dict[str, Callable[[str], str]] = {
    "date": parse_date,
    "int": parse_int,
    "float": parse_float,
    "bool": parse_bool,
    "status": parse_status,
}


_NULL_WORDS = {"null", "\\n"}  # exports' spellings of "no value", honoured in non-text columns


class Invalid:
    """A cell that breaks the contract, with what was expected (cached like a good value)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def normaliser(column: Column) -> Callable[[str], "str | None | Invalid"]:
    """A function from a raw cell to the canonical value for this column, or Invalid.

    Text columns keep their text verbatim (trimmed): `NULL`, `\\N`, backslashes and SQL-looking
    values are stored as the characters they are. In typed columns (dates, numbers, booleans) an
    empty cell or the words `NULL` / `\\N` mean no value.
    """
    parse = _PARSERS.get(column.kind)
    if column.kind in ("int", "float") and (column.minimum is not None
                                            or column.maximum is not None):
        low = -math.inf if column.minimum is None else column.minimum
        high = math.inf if column.maximum is None else column.maximum
        number = parse

        def parse(cell: str) -> str:
            return number(cell, low, high)  # type: ignore[call-arg,misc]
    allowed = {a.casefold(): a for a in column.allowed}
    allowed.update({k.casefold(): v for k, v in column.synonyms})
    missing: "str | None | Invalid" = None if column.nullable else Invalid("a value is required")

    def normalise(cell: str) -> "str | None | Invalid":
        cell = cell.strip()
        if cell == "" or (parse is not None and cell.casefold() in _NULL_WORDS):
            return missing
        if parse is not None:
            try:
                return parse(cell)
            except ValueError as exc:
                return Invalid(str(exc))
        if len(cell) > column.max_length:
            return Invalid(f"expected at most {column.max_length} characters, found {len(cell)}")
        if allowed:
            return allowed.get(cell.casefold()) or Invalid(
                f"expected one of {', '.join(column.allowed)}")
        return cell

    return normalise


NULL = object()  # a cached empty value (a cache miss reads as None)
INVALID = object()  # a cached bad cell


class CellCache:
    """Per-column caches of cell -> canonical value, so each distinct cell is normalised once.

    A cache miss reads as None; a legitimately empty value is cached as NULL, a bad cell as
    INVALID. Each cache is cleared when it reaches `limit` entries: memory stays flat."""

    def __init__(self, kind: FileKind, limit: int = 50_000) -> None:
        self.normalisers = [normaliser(c) for c in kind.columns]
        self.caches: list[dict[str, object]] = [{} for _ in kind.columns]
        self.limit = limit

    def canonical(self, column: int, cell: str) -> object:
        """The canonical text of a cell of the column at this position, NULL or INVALID."""
        cache = self.caches[column]
        value = cache.get(cell)
        if value is None:
            value = self.normalisers[column](cell)
            value = NULL if value is None else INVALID if isinstance(value, Invalid) else value
            if len(cache) >= self.limit:
                cache.clear()
            cache[cell] = value
        return value

    def fill(self, values: list[object], cells: tuple[str, ...]) -> None:
        """Fill the misses (None) the caller's lookup of a row in `caches` left."""
        for i, value in enumerate(values):
            if value is None:
                values[i] = self.canonical(i, cells[i])
