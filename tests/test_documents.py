import pytest

from clauseclf.documents import DocumentError, decode_document, format_from_path, read_document


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
