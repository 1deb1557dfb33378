import pytest

from clauseclf.documents import decode_document, format_from_path, read_document
from clauseclf.errors import DocumentError, EncodingError


def test_reads_utf8_and_drops_bom(tmp_path):
    path = tmp_path / "policy.txt"
    path.write_bytes("\ufeffWe collect your e-mail address. Café.".encode())
    assert read_document(path) == "We collect your e-mail address. Café."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Caf\u00e9".encode("latin-1") + b" terms", "not valid UTF-8"),
    ],
)
def test_unusable_documents_are_refused(data, message):
    with pytest.raises(DocumentError, match=message):
        decode_document(data, name="policy.txt")


def test_error_names_the_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match=r"empty\.txt"):
        read_document(path)


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(DocumentError, match="directory"):
        read_document(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "absent.txt")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.html", "html"), ("a.HTM", "html"), ("a.md", "markdown"), ("a.txt", "text"), ("a", "auto")],
)
def test_format_from_path(name, expected):
    assert format_from_path(name) == expected


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_marks_choose_the_encoding(codec):
    text = "We share your data with partners \u2014 see \u00a74."
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    assert decode_document(data, name="p.txt") == text


def test_declared_html_charset_is_used():
    html = (
        '<html><head><meta charset="windows-1252"></head>'
        "<body><p>Caf\u00e9 terms \u2019ok\u2019.</p>"
    )
    assert "Caf\u00e9 terms \u2019ok\u2019" in decode_document(html.encode("cp1252"), name="p.html")
    legacy = (
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>na\u00efve</p>'
    )
    assert "na\u00efve" in decode_document(legacy.encode("latin-1"), name="p.html")


def test_bad_declared_charset_and_explicit_encoding():
    assert "Hi" in decode_document(b'<meta charset="klingon"><p>Hi</p>', name="p.html")
    with pytest.raises(DocumentError, match="declares charset 'klingon', which is unknown"):
        decode_document(b'<meta charset="klingon"><p>H\xe9</p>', name="p.html")
    assert (
        decode_document("Caf\u00e9 terms".encode("cp1252"), encoding="cp1252") == "Caf\u00e9 terms"
    )
    with pytest.raises(DocumentError, match="not valid utf-8"):
        decode_document(b"caf\xe9 ok", encoding="utf-8", name="p.txt")
    with pytest.raises(DocumentError, match="unknown encoding"):
        decode_document(b"hello", encoding="no-such-codec")


def test_non_utf8_error_suggests_the_likely_encoding():
    text = "Nous collectons vos donn\u00e9es personnelles pour am\u00e9liorer le service. " * 20
    with pytest.raises(DocumentError, match=r"not valid UTF-8 \(byte \d+\); it looks like") as info:
        decode_document(text.encode("cp1252"), name="fr.txt")
    assert "fr.txt" in str(info.value) and "encoding=" in str(info.value)


def test_nul_bytes_and_non_bytes_are_refused():
    with pytest.raises(DocumentError, match="binary"):
        decode_document(b"We collect data.\x00\x00 more", name="nul.txt")
    with pytest.raises(DocumentError, match="NUL"):
        decode_document("We collect\x00 data.".encode("utf-16"), name="nul16.txt")
    with pytest.raises(TypeError, match="expected bytes"):
        decode_document("a str", name="s")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- PDF


def _pdf(pages: list[list[str]], password: str | None = None) -> bytes:
    """A small PDF we build ourselves: one text line per string, Helvetica, one list per page."""
    import io

    pypdf = pytest.importorskip("pypdf", reason="PDF input needs the optional pypdf")
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        if not lines:
            continue
        escaped = [
            line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines
        ]
        ops = [
            "BT",
            "/F1 11 Tf",
            "14 TL",
            "72 720 Td",
            *[f"({line}) Tj T*" for line in escaped],
            "ET",
        ]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if password is not None:
        writer.encrypt(user_password=password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_text_is_extracted_page_by_page(tmp_path):
    data = _pdf(
        [
            ["1. Disputes", "Any dispute goes to binding arbitration in Ruritania."],
            ["2. Law", "The laws of Ruritania govern these terms."],
        ]
    )
    path = tmp_path / "terms.pdf"
    path.write_bytes(data)
    text = read_document(path)
    assert "binding arbitration in Ruritania." in text
    assert text.index("1. Disputes") < text.index("2. Law")
    assert format_from_path(path) == "text"
    assert decode_document(_pdf([["Open PDF."]], password="")) == "Open PDF."


@pytest.mark.parametrize(
    ("data_factory", "message"),
    [
        (lambda: _pdf([["Secret terms."]], password="hunter2"), "encrypted with a password"),
        (lambda: _pdf([[], []]), r"no text layer \(2 page\(s\)"),
        (lambda: _pdf([["Cut short."]])[:200], "cannot read the PDF"),
    ],
)
def test_unreadable_pdfs_fail_clearly(data_factory, message):
    with pytest.raises(DocumentError, match=message):
        decode_document(data_factory(), name="bad.pdf")


def test_pdf_without_pypdf_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pypdf", None)
    monkeypatch.setitem(sys.modules, "pypdf.errors", None)
    with pytest.raises(DocumentError, match=r"x\.pdf: is a PDF.*pip install 'clauseclf\[pdf\]'"):
        decode_document(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", name="x.pdf")


# --------------------------------------------------------------------------- encoding guesses

_FRENCH = "Vos données sont traitées à des fins de sécurité, très bien. "
_ENGLISH = "We collect your e-mail address. Café\u2019s terms \u2014 \u201cquoted\u201d. "
_POLISH = "Zgadzasz się na przetwarzanie danych przez spółkę żółtą. "
_CZECH = "Souhlasíte se zpracováním údajů společností. Říčení. "
_RUSSIAN = "Мы собираем ваши данные. "


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (_FRENCH * 20, "cp1252"),
        (_ENGLISH * 20, "cp1252"),
        ("Caf\u00e9 terms apply.", "cp1252"),
        (_POLISH * 10, "cp1250"),
        (_CZECH * 10, "cp1250"),
        (_RUSSIAN * 10, "cp1251"),
    ],
)
def test_the_suggested_encoding_reads_the_text_back(text, codec):
    """The guess is the encoding whose decoding gives the text back (a cp1252 file was called
    cp1250, which turns French 'trait\u00e9es \u00e0' into 'trait\u00e9es \u0155')."""
    data = text.encode(codec)
    with pytest.raises(EncodingError) as info:
        decode_document(data, name="p.txt")
    guess = info.value.guess
    assert guess is not None and data.decode(guess) == text
    assert f"pass encoding={guess!r}" in str(info.value)
    assert decode_document(data, name="p.txt", encoding=guess) == text


def test_a_wrong_explicit_encoding_suggests_one_that_fits():
    data = (_FRENCH * 5).encode("cp1252")
    with pytest.raises(EncodingError, match=r"not valid utf-8 .*pass encoding='cp1252'"):
        decode_document(data, name="p.txt", encoding="utf-8")


def test_the_command_line_wording_names_the_option():
    message = str(EncodingError("p.txt: not valid UTF-8 (byte 3)", guess="cp1252"))
    assert EncodingError.for_command_line(message) == (
        "p.txt: not valid UTF-8 (byte 3); it looks like cp1252: pass --encoding cp1252, "
        "or convert it to UTF-8 first"
    )
