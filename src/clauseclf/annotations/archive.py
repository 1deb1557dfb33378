"""The policies of the shared data (``policies-2023``): its archive of plain-text documents, read
in one pass, or the same files unpacked in a folder.

Files are named ``<Service>_<Title>.txt``; the archive holds them as ``corpus/text/<name>``.
Standoff records (``clauseclf.annotations.standoff``) point into these documents; the background
clauses and the encoder's training text are read from the archive too.
"""

from __future__ import annotations

import tarfile
from collections.abc import Container, Iterator, Sequence
from pathlib import Path

from clauseclf.documents import decode_document
from clauseclf.errors import DocumentError

#: The plain-text policies of the shared data, relative to its folder.
POLICY_ARCHIVE = Path("policies-2023") / "corpus_text.tar.xz"
#: Where the policies are looked for when no folder is given (the shared data's layout).
DEFAULT_DOCUMENTS = Path("../shared/data/policies-2023")


def archive_texts(
    archive: str | Path, names: Container[str] | None = None
) -> Iterator[tuple[str, str]]:
    """``(member name, decoded text)`` of the ``.txt`` files of a tar archive, in stream order
    (``names``: only those members); empty or undecodable files are left out."""
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            if names is not None and member.name not in names:
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            try:
                yield member.name, decode_document(handle.read(), name=member.name)
            except DocumentError:
                continue  # empty or undecodable files hold no text to use


def read_documents(names: Sequence[str], documents: str | Path | None = None) -> dict[str, str]:
    """Decoded text of each named ``policies-2023`` file, from ``documents``: a folder of the
    unpacked ``.txt`` files, a folder holding ``corpus_text.tar.xz``, or the archive itself
    (default: ``../shared/data/policies-2023``). Missing names are left out of the result."""
    source = Path(documents) if documents is not None else DEFAULT_DOCUMENTS
    wanted = set(names)
    if source.is_dir():
        archive = source / POLICY_ARCHIVE.name
        loose = {name: source / name for name in wanted if (source / name).is_file()}
        if loose or not archive.is_file():
            found = {}
            for name, path in loose.items():
                try:
                    found[name] = decode_document(path.read_bytes(), name=name)
                except DocumentError:
                    continue
            return found
        source = archive
    if not source.is_file():
        raise FileNotFoundError(
            f"{source}: no policies-2023 documents there (pass the folder of the unpacked .txt "
            "files, or the corpus_text.tar.xz archive)"
        )
    by_member = {f"corpus/text/{name}": name for name in wanted}
    by_member.update({name: name for name in wanted})
    found = {}
    for member, text in archive_texts(source, set(by_member)):
        found[by_member[member]] = text
    return found
