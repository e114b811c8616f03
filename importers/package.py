"""A OneRoster 1.1/1.2 or SDS package (a folder or a zip of CSVs): its tables and manifest.

OneRoster names files and columns in camelCase; they are matched here case- and
punctuation-insensitively (importers.normalize.key), as SIS exports vary.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from importers.errors import DataError, FileFormatError, MissingColumnError
from importers.normalize import key
from importers.readers import Sheet, decode_text, read_csv_text
from importers.sniff import check_zip

Get = Callable[[str], str]


class Table:
    """One CSV of the package: its header as written and its rows by column name."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.file = sheet.file
        head = sheet.rows[0] if sheet.rows else []
        self.header = [h.strip().lstrip("\ufeff") for h in head]
        self.index = {key(h): i for i, h in enumerate(self.header)}
        self._by_name: dict[str, int | None] = {}  # name as the code spells it -> index

    def _at(self, name: str) -> int | None:
        # Once per column name, not per cell: key() is the cost of a 100,000-row package.
        if name not in self._by_name:
            self._by_name[name] = self.index.get(key(name))
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return self._at(name) is not None

    def column(self, name: str) -> str:
        """The header as written (for messages), or the OneRoster name when the column is absent."""
        i = self._at(name)
        return self.header[i] if i is not None else name

    def records(self) -> Iterator[tuple[int, Get]]:
        """(row number as a spreadsheet shows it, getter of a column's trimmed text)."""
        at, known = self._at, self._by_name
        for n, cells in enumerate(self.sheet.rows[1:], start=2):
            if not "".join(cells).strip():
                continue

            def get(name: str, cells: list[str] = cells) -> str:
                i = known[name] if name in known else at(name)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            yield n, get


@dataclass
class Package:
    """The tables of a package, read on demand, and what its manifest says."""

    display: str
    load: Callable[[str], Table | None]
    manifest: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, Table | None] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        if name not in self._cache:
            self._cache[name] = self.load(name)
        return self._cache[name]

    def need(self, name: str, columns: list[str]) -> Table:
        """The table with these columns, or the error naming the file and what it lacks."""
        table = self.table(name)
        if table is None:
            raise FileFormatError(f"{self.display}/{name}", "missing from the OneRoster/SDS package")
        missing = [c for c in columns if not table.has(c)]
        if missing:
            raise MissingColumnError(table.file, None, table.header, missing)
        return table

    def mode(self, name: str) -> str:
        """bulk | delta | absent for a file, as the manifest says (bulk when it says nothing)."""
        return self.manifest.get(f"file.{name}", "bulk").lower()

    @property
    def version(self) -> str:
        """ "1.1", "1.2"…, or "sds" for a School Data Sync set (no manifest)."""
        if "oneroster.version" in self.manifest:
            return self.manifest["oneroster.version"]
        return "sds" if self.table("roles.csv") is not None else "1.1"


def _loader(path: Path, display: str) -> Callable[[str], Table | None]:
    if path.is_dir():
        files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}

        def load(name: str) -> Table | None:
            p = files.get(name.lower())
            if p is None:
                return None
            return Table(read_csv_text(decode_text(p.read_bytes(), p.name), p.name))

        return load
    zf = check_zip(path, display)
    members = {n.rsplit("/", 1)[-1].lower(): n for n in zf.namelist() if not n.endswith("/")}

    def load_zip(name: str) -> Table | None:
        member = members.get(name.lower())
        if member is None:
            return None
        label = f"{display}/{member}"
        try:
            data = zf.read(member)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise FileFormatError(display, f"the archive member {member} is truncated or damaged") from None
        return Table(read_csv_text(decode_text(data, label), label))

    return load_zip


def open_package(path: Path, display: str) -> Package:
    pkg = Package(display, _loader(path, display))
    manifest = pkg.table("manifest.csv")
    if manifest is not None:
        pkg.manifest = {get("propertyName").lower(): get("value") for _, get in manifest.records()}
    return pkg


def users_mode(pkg: Package) -> str:
    """The manifest's word on users.csv: bulk or delta; absent refuses the roster."""
    mode = pkg.mode("users")
    if mode == "absent":
        raise DataError(f"{pkg.display}: the manifest says users are absent (no change): nothing to import")
    return mode
