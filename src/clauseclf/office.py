"""Office files: the text of a Word document (.docx, the ``docx`` extra), and a clear refusal
naming the format of the others (.doc, .odt, .pages, .rtf, spreadsheets, slides, ZIP archives).

Formats are told by their bytes, not their names: a renamed file is still recognised.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from clauseclf.errors import DocumentError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
RTF_MAGIC = b"{\\rtf"
DOCX_EXTRA = "pip install 'clauseclf[docx]'"
_CONVERT = "save it as .docx, PDF or plain text (.txt) and pass that"
_LEGACY_BY_SUFFIX = {
    ".xls": "an Excel 97-2003 workbook (.xls), not a policy document",
    ".ppt": "a PowerPoint 97-2003 presentation (.ppt), not a policy document",
    ".msg": "an Outlook message (.msg); save its text as .txt and pass that",
}
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
    "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
}


def is_office_file(data: bytes) -> bool:
    """Whether ``data`` starts like an office file or archive (OLE2, ZIP or RTF)."""
    return data.startswith((OLE2_MAGIC, ZIP_MAGIC, RTF_MAGIC))


def office_text(data: bytes, *, name: str = "<office>") -> str:
    """The text of a Word document (.docx); ``DocumentError`` naming the format for any other
    office file, and naming ``pip install 'clauseclf[docx]'`` when python-docx is missing."""
    suffix = PurePath(name).suffix.lower()
    if data.startswith(RTF_MAGIC):
        raise DocumentError(f"{name}: is an RTF document; {_CONVERT}")
    if data.startswith(OLE2_MAGIC):
        what = _LEGACY_BY_SUFFIX.get(suffix, f"a Word 97-2003 document (.doc); {_CONVERT}")
        raise DocumentError(f"{name}: is {what}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        mimetype = (
            archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            if "mimetype" in names
            else ""
        )
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise DocumentError(f"{name}: is a damaged ZIP or office file ({exc})") from None
    if "word/document.xml" in names:
        return docx_text(data, name=name)
    if "xl/workbook.xml" in names:
        raise DocumentError(
            f"{name}: is an Excel workbook, not a policy document; to score a table of texts, "
            "read it with pandas and pass the DataFrame to model.score"
        )
    if "ppt/presentation.xml" in names:
        raise DocumentError(f"{name}: is a PowerPoint presentation; {_CONVERT}")
    if mimetype in _OPENDOCUMENT:
        raise DocumentError(f"{name}: is {_OPENDOCUMENT[mimetype]}; {_CONVERT}")
    if suffix == ".pages" or any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        raise DocumentError(f"{name}: is an Apple Pages document; export it as .docx, PDF or .txt")
    raise DocumentError(f"{name}: is a ZIP archive, not a document; extract the files first")


def docx_text(data: bytes, *, name: str = "<docx>") -> str:
    """The text of a .docx: paragraphs and table cells in document order, separated by blank
    lines. Needs python-docx (``pip install 'clauseclf[docx]'``)."""
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise DocumentError(
            f"{name}: is a Word document; Word documents need clauseclf[docx]: {DOCX_EXTRA}"
        ) from None
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = [cell.text.strip() for cell in row.cells]
                    blocks.append(" | ".join(c for c in cells if c))
            else:
                blocks.append(item.text.strip())
    except Exception as exc:  # python-docx raises many kinds on damaged files: all "unreadable"
        raise DocumentError(
            f"{name}: cannot read the Word document: {type(exc).__name__}: {exc}"
        ) from None
    text = "\n\n".join(block for block in blocks if block)
    if not text:
        raise DocumentError(f"{name}: the Word document holds no text")
    return text
