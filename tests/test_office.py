"""Office files: a .docx is read (the ``docx`` extra) or refused naming the extra; other office
formats are refused naming the format, never called "binary data"."""

from __future__ import annotations

import builtins
import io
import zipfile

import pytest

from clauseclf.documents import decode_document, read_document
from clauseclf.errors import DocumentError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A minimal Word document we build by hand: paragraphs, then an optional table."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    if table:
        rows = "".join(
            "<w:tr>"
            + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in row)
            + "</w:tr>"
            for row in table
        )
        body += f"<w:tbl>{rows}</w:tbl>"
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    document += f"{body}</w:body></w:document>"
    return _zip(
        {"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _RELS, "word/document.xml": document}
    )


@pytest.fixture
def no_python_docx(monkeypatch):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "docx" or name.startswith("docx."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)


def test_docx_without_the_extra_names_it(no_python_docx, tmp_path):
    path = tmp_path / "terms.docx"
    path.write_bytes(_docx(["We sell your data."]))
    with pytest.raises(DocumentError, match=r"Word documents need clauseclf\[docx\]") as info:
        read_document(path)
    assert "pip install 'clauseclf[docx]'" in str(info.value) and "binary" not in str(info.value)


def test_docx_is_read_in_document_order(tmp_path):
    pytest.importorskip("docx", reason="reading .docx needs the docx extra (python-docx)")
    path = tmp_path / "renamed.bin"  # told by its bytes, not its name
    path.write_bytes(
        _docx(
            ["1. Disputes", "Any dispute goes to binding arbitration."],
            table=[["Data", "We sell your data to brokers."]],
        )
    )
    text = read_document(path)
    assert text == (
        "1. Disputes\n\nAny dispute goes to binding arbitration.\n\n"
        "Data | We sell your data to brokers."
    )


def test_empty_and_damaged_docx(tmp_path):
    pytest.importorskip("docx", reason="reading .docx needs the docx extra (python-docx)")
    with pytest.raises(DocumentError, match="holds no text"):
        decode_document(_docx([]), name="empty.docx")
    broken = _zip({"word/document.xml": "<w:document"})
    with pytest.raises(DocumentError, match="cannot read the Word document"):
        decode_document(broken, name="broken.docx")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("terms.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"Word 97-2003 .*\.docx"),
        ("sheet.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003"),
        ("terms.rtf", rb"{\rtf1\ansi We sell your data.\par}", "RTF document; save it as"),
        (
            "terms.odt",
            _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
            r"OpenDocument text \(\.odt\)",
        ),
        ("terms.pages", _zip({"Index/Document.iwa": "x"}), "Apple Pages document; export"),
        ("data.xlsx", _zip({"xl/workbook.xml": "<x/>"}), "Excel workbook, not a policy"),
        ("deck.pptx", _zip({"ppt/presentation.xml": "<x/>"}), "PowerPoint presentation"),
        ("bundle.zip", _zip({"a.txt": "We sell data."}), "ZIP archive, not a document"),
        ("cut.docx", _docx(["We sell data."])[:60], "damaged ZIP or office file"),
    ],
)
def test_other_office_formats_are_named(name, data, message):
    with pytest.raises(DocumentError, match=message) as info:
        decode_document(data, name=name)
    assert str(info.value).startswith(f"{name}: ") and "binary" not in str(info.value)


def test_analyze_cli_on_a_docx_without_the_extra(no_python_docx, tmp_path, capsys):
    from clauseclf.cli import main

    path = tmp_path / "terms.docx"
    path.write_bytes(_docx(["We sell your data."]))
    assert main(["analyze", str(path)]) == 1
    assert "Word documents need clauseclf[docx]" in capsys.readouterr().err
