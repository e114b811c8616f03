"""What a file really is (by its bytes, not its name), and the checks made before reading it:
encrypted OOXML, truncated or damaged zips, zip bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from importers.errors import FileFormatError

Kind = Literal["xlsx", "xls", "ods", "csv", "oneroster-zip", "oneroster-dir"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A real roster is a few MB unpacked (100,000 rows ~ 30 MB of sheet XML); sheet XML compresses
# 10-30x. Beyond these the archive is refused before a single member is inflated.
MAX_UNPACKED_BYTES = 1 << 30
MAX_MEMBER_RATIO = 200
RATIO_CHECK_ABOVE = 10 << 20
MAX_SCAN_BYTES = 256 << 20
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
# Control bytes no text file holds (tab, LF, CR, form feed and the DOS end-of-file mark aside);
# beyond this share of the first 64 KB the file is binary, whatever its name says.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26)) + b"\x7f"
_KEEP_ONLY_CONTROLS = bytes(b for b in range(256) if bytes([b]) not in _CONTROL_BYTES)
MAX_CONTROL_SHARE = 0.01


def _encrypted_ooxml(head: bytes) -> bool:
    # Office stores a password-protected .xlsx as an OLE2 compound file whose directory holds
    # the streams "EncryptionInfo" and "EncryptedPackage" (MS-OFFCRYPTO); names are UTF-16LE.
    return "EncryptionInfo".encode("utf-16-le") in head or "EncryptedPackage".encode("utf-16-le") in head


def check_zip(path: Path, display: str) -> zipfile.ZipFile:
    """Open the archive after checking it is whole and would not inflate into a bomb."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except zipfile.BadZipFile:
        raise FileFormatError(
            display, "the file is truncated or damaged (not a readable zip archive)"
        ) from None
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > RATIO_CHECK_ABOVE and ratio > MAX_MEMBER_RATIO):
            zf.close()
            raise FileFormatError(
                display,
                f"refused: the archive would unpack to {total:,} bytes or more "
                f"(member {info.filename!r} compressed {ratio:,.0f}:1): a zip bomb, not a roster",
            )
    bad = None
    try:
        # CRCs of the small members only (the central directory was already read): a cut-off
        # archive fails here or while reading, and reports the same way.
        for info in infos:
            if info.file_size < (4 << 20) and not info.is_dir():
                with zf.open(info) as member:
                    while member.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        bad = exc
    if bad is not None:
        zf.close()
        raise FileFormatError(
            display, "the file is truncated or damaged (a member of the archive is corrupt)"
        )
    return zf


def display_name(path: Path) -> str:
    """How a file is named to the operator: its name (the folder it is in is theirs to know)."""
    return path.name or str(path)


def detect(path: Path, display: str | None = None) -> Kind:
    """The kind of roster file at `path`; FileFormatError when it is none we can read."""
    display = display or path.name
    if path.is_dir():
        if any((path / n).is_file() for n in ("users.csv", "orgs.csv", "manifest.csv")):
            return "oneroster-dir"
        raise FileFormatError(display, "a folder, but not a OneRoster/SDS package (no users.csv or orgs.csv)")
    if not path.is_file():
        raise FileFormatError(display, "no such file")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        raise FileFormatError(display, "the file is empty")
    if head.startswith(OLE2_MAGIC):
        # The directory usually sits in the first sectors; a big file may keep it further on.
        if _encrypted_ooxml(head) or (
            path.stat().st_size <= MAX_SCAN_BYTES and _encrypted_ooxml(path.read_bytes())
        ):
            raise FileFormatError(
                display, "the workbook is password-protected (encrypted); save it without a password"
            )
        return "xls"
    if head.startswith(b"PK"):
        with check_zip(path, display) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
                return "ods"
            if any(n.rsplit("/", 1)[-1] in ("users.csv", "orgs.csv") for n in names):
                return "oneroster-zip"
        raise FileFormatError(display, "a zip archive, but neither a workbook nor a OneRoster/SDS package")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    controls = 0 if utf16 else len(head.translate(None, _KEEP_ONLY_CONTROLS))
    if (b"\x00" in head and not utf16) or controls > len(head) * MAX_CONTROL_SHARE:
        raise FileFormatError(display, "not a spreadsheet (binary content that is no workbook we know)")
    if path.suffix.lower() in TEXT_SUFFIXES or path.suffix == "":
        return "csv"
    raise FileFormatError(
        display,
        f"not a spreadsheet: the content is neither a workbook nor matches its extension {path.suffix!r}",
    )
