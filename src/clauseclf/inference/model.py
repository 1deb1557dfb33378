"""ClauseModel: an encoder and a trained head, saved as one folder (config, taxonomy, head).

Layout of a model folder::

    config.json     format version, clauseclf version, encoder spec, types, severity scale
    encoder/        a static encoder (``clauseclf.encoder.StaticEncoder``), when the model has one;
                    otherwise the spec names the packaged sentence-transformers model
    taxonomy.json   the taxonomy the model was trained with
    head.*          the head's weights (``.npz``, read with ``allow_pickle=False``) and settings
    practices.*     the practice map, when the model has one (stored once: the head's type
                    ranker reads the same files)
    MODEL_CARD.md   data, metrics and licences (written by training)

Loading never executes code from the folder: no pickle anywhere on this path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf import __version__, limits
from clauseclf._files import (
    is_inside,
    require_regular_file,
    write_replacing,
)
from clauseclf._texts import text_list
from clauseclf.encoder import (
    Encoder,
    is_panic,
)
from clauseclf.encoder_cache import CachedEncoder
from clauseclf.errors import ModelFormatError, TaxonomyError, TokenizerError, TooLargeError
from clauseclf.head.core import ClauseHead
from clauseclf.head.io import head_files
from clauseclf.head.output import HeadOutput, concatenate_outputs
from clauseclf.head.practices import PracticeMap
from clauseclf.inference.default_model import default_model_dir
from clauseclf.inference.folder import (
    CARD_FILE,
    CONFIG_FILE,
    MODEL_FORMAT,
    MODEL_FORMAT_VERSION,
    TAXONOMY_FILE,
    check_model_target,
    load_model_encoder,
    read_json,
    refuse_pickle_files,
    static_encoder,
)
from clauseclf.predictions import ClausePrediction, predictions_from_output
from clauseclf.taxonomy import Taxonomy, taxonomy_from_dict

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

    from clauseclf.report import DocumentReport

#: Clauses embedded and given to the head at a time (the head builds their features
#: ``head.core.FEATURE_ROWS`` at a time; its products over embeddings are one per call); with
#: fewer ``feature_rows`` asked for, twice that many at most.
CLASSIFY_ROWS = 512
#: Predictions that share their block's arrays, and whose evidence is computed together when
#: the first of them is read.
EVIDENCE_ROWS = 256


class ClauseModel:
    """Classifies clause texts: ``encoder`` embeds them, ``head`` turns embeddings into labels.

    ``practices``: the practice map of ``practice_profiles`` and ``ClauseIndex.similar``. A model
    has one map: when the head's type ranker reads one (``head.rank_practices``), that is the
    model's map (``practices=None`` takes it) and another map is refused (``ModelFormatError``).
    """

    def __init__(
        self,
        encoder: Encoder,
        head: ClauseHead,
        taxonomy: Taxonomy,
        *,
        metadata: Mapping[str, Any] | None = None,
        practices: PracticeMap | None = None,
    ) -> None:
        unknown = [t for t in head.types if t not in taxonomy.type_ids]
        if unknown:
            raise ModelFormatError(f"head predicts types missing from the taxonomy: {unknown}")
        if tuple(head.severity_scale) != tuple(taxonomy.severity_scale):
            raise ModelFormatError(
                f"head severity scale {list(head.severity_scale)} differs from the taxonomy's "
                f"{list(taxonomy.severity_scale)}"
            )
        if head.embedding_dim != encoder.dimension:
            raise ModelFormatError(
                f"head expects {head.embedding_dim}-d embeddings but encoder {encoder.name!r} "
                f"gives {encoder.dimension}-d"
            )
        ranking = head.rank_practices
        if ranking is not None:
            if (
                practices is not None
                and practices is not ranking.practices
                and practices.content_digest() != ranking.practices.content_digest()
            ):
                raise ModelFormatError(
                    f"the head's type ranker reads a practice map of "
                    f"{len(ranking.practices.names)} practices, and a model has one practice map: "
                    f"practices= must be that map (or None), not another of "
                    f"{len(practices.names)} practices"
                )
            practices = ranking.practices
        if practices is not None and practices.dimension != encoder.dimension:
            raise ModelFormatError(
                f"practice map expects {practices.dimension}-d embeddings but encoder "
                f"{encoder.name!r} gives {encoder.dimension}-d"
            )
        if practices is not None and practices.text_features not in (
            0,
            len(head.features.vocabulary),
        ):
            raise ModelFormatError(
                f"practice map reads a {practices.text_features}-term TF-IDF vocabulary but the "
                f"head's has {len(head.features.vocabulary)} terms"
            )
        self.encoder = encoder
        self.head = head
        self.taxonomy = taxonomy
        #: Known practices (ToS;DR cases) a clause may express; ``None`` if not trained. The
        #: head's type ranker's map when it has one.
        self.practices = practices
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def types(self) -> tuple[str, ...]:
        """The clause types the model predicts (without ``other``)."""
        return tuple(self.head.types)

    def __repr__(self) -> str:
        return (
            f"ClauseModel(encoder={self.encoder.name!r}, types={len(self.types)}, "
            f"version={self.metadata.get('model_version')!r})"
        )

    def practice_profiles(self, texts: Sequence[str], embeddings: np.ndarray) -> sp.csr_matrix:
        """The clauses' practice profiles (``PracticeMap.profiles``) from their texts and
        embeddings; the map reads the head's TF-IDF rows when it was trained with them.
        ValueError if the model has no practice map."""
        if self.practices is None:
            raise ValueError("this model has no practice map (train it on clauses with a case)")
        texts = text_list(texts, caller="practice_profiles")
        tfidf = self.head.features.tfidf(texts) if self.practices.text_features else None
        return self.practices.profiles(embeddings, tfidf)

    def classify(self, texts: Sequence[str], *, batch_size: int = 64) -> list[ClausePrediction]:
        """Predict type, severity, confidence and evidence for each clause text, in order."""
        texts = list(texts) if not isinstance(texts, str) else texts
        return self.predictions(self.predict_arrays(texts, batch_size=batch_size), texts)

    def predict_arrays(
        self, texts: Sequence[str], *, batch_size: int = 64, feature_rows: int | None = None
    ) -> HeadOutput:
        """The head's arrays for the clause texts (probabilities, predicted, severity of every
        type, confidence), for evaluation and vectorised use. ``feature_rows``: clauses whose
        features are built at a time (``ClauseHead.predict``; fewer: less memory, slower)."""
        texts = text_list(texts, caller="classify()")
        if not texts:
            n_types = len(self.head.types)
            return HeadOutput(
                np.zeros((0, n_types)),
                np.zeros((0, n_types), dtype=bool),
                np.zeros((0, n_types), dtype=np.int64),
                np.zeros(0),
            )
        parts = []
        rows = CLASSIFY_ROWS
        if feature_rows is not None:
            rows = max(min(rows, 2 * feature_rows), 1)
        for start in range(0, len(texts), rows):
            part = texts[start : start + rows]
            try:
                embeddings = self.encoder.encode(part, batch_size=batch_size)
            except BaseException as exc:
                if not is_panic(exc):
                    raise
                raise TokenizerError(f"the encoder's tokenizer failed on a text: {exc}") from None
            if embeddings.shape != (len(part), self.head.embedding_dim):
                raise ModelFormatError(
                    f"encoder returned embeddings of shape {embeddings.shape}, expected "
                    f"({len(part)}, {self.head.embedding_dim})"
                )
            parts.append(self.head.predict(part, embeddings, feature_rows=feature_rows))
        return concatenate_outputs(parts)

    def predictions(self, output: HeadOutput, texts: Sequence[str]) -> list[ClausePrediction]:
        """One ``ClausePrediction`` per row of the head's arrays (see ``predict_arrays``);
        ``texts`` are the clause texts of the rows, from which each prediction's ``evidence`` is
        taken (for ``EVIDENCE_ROWS`` rows at a time, when the first of them is read)."""
        n_rows = output.probabilities.shape[0]
        if isinstance(texts, str) or len(texts) != n_rows:
            raise ValueError(f"texts must be a sequence of {n_rows} clause texts, one per row")
        predictions: list[ClausePrediction] = []
        for start in range(0, n_rows, EVIDENCE_ROWS):
            rows = slice(start, start + EVIDENCE_ROWS)
            block = HeadOutput(*(getattr(output, f.name)[rows] for f in fields(HeadOutput)))
            block_texts = list(texts[rows])
            evidence = partial(self.head.evidence, block_texts)
            predictions += predictions_from_output(
                block,
                self.head.types,
                self.head.severity_scale,
                evidence=evidence,
                texts=block_texts,
            )
        return predictions

    def with_cache(
        self, path: str | Path | None = None, *, max_items: int = 200_000
    ) -> ClauseModel:
        """The same model with an embedding cache: a clause text seen before is not embedded
        again (in memory; also in the SQLite file ``path`` if given, across sessions)."""
        encoder = CachedEncoder(self.encoder, path=path, max_items=max_items)
        return ClauseModel(
            encoder, self.head, self.taxonomy, metadata=self.metadata, practices=self.practices
        )

    def score(
        self,
        documents: Any,
        *,
        n_jobs: int = 1,
        batch_size: int = 64,
        chunk_size: int = 32,
        progress: bool = True,
        errors: str = "record",
    ) -> pd.DataFrame:
        """Score many documents into one DataFrame, one row per clause (``clauseclf.batch``).

        ``documents``: paths (``pathlib.Path``), texts (``str``), dicts with ``text`` or ``path``
        and optional ``platform``, ``document``, ``id``, or a DataFrame with those columns. A
        document that fails becomes a row with the reason in ``error`` (``errors="raise"``
        stops instead); ``n_jobs`` runs chunks through joblib (and so on Dask).
        """
        from clauseclf.batch import score

        return score(
            self,
            documents,
            n_jobs=n_jobs,
            batch_size=batch_size,
            chunk_size=chunk_size,
            progress=progress,
            errors=errors,
        )

    def analyze(
        self,
        text: str | PurePath,
        *,
        platform: str | None = None,
        document: str | None = None,
        format: str = "auto",
        source: str | None = None,
        encoding: str | None = None,
        progress: bool = False,
    ) -> DocumentReport:
        """Segment a policy (plain text, HTML or Markdown) and classify every clause.

        ``text`` is the policy's text, or a ``pathlib.Path`` to read it from (with
        ``encoding``); a str that is only a file name or an address is refused.
        ``progress``: a progress bar on stderr for a long document (``pipeline.analyze_text``)."""
        from clauseclf.pipeline import analyze_text

        return analyze_text(
            self,
            text,
            platform=platform,
            document=document,
            format=format,
            source=source,
            encoding=encoding,
            progress=progress,
        )

    def config(self) -> dict[str, Any]:
        """The contents of the model folder's ``config.json``."""
        static = static_encoder(self.encoder)
        spec = static.spec() if static is not None else self.metadata.get("encoder")
        if not isinstance(spec, dict):
            spec = {"name": self.encoder.name, "dimension": self.encoder.dimension}
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "clauseclf_version": __version__,
            "model_version": self.metadata.get("model_version"),
            "encoder": spec,
            "types": list(self.head.types),
            "severity_scale": list(self.head.severity_scale),
            "practices": (
                {"count": len(self.practices.names), "top_k": self.practices.top_k}
                if self.practices is not None
                else None
            ),
            "training": self.metadata.get("training", {}),
        }

    def fingerprint(self) -> str:
        """SHA-256 of what decides the model's predictions, as ``save`` stores it: the encoder
        (name, dimension; a static encoder's vectors), the taxonomy, the head and the practice
        map. Two models with the same fingerprint label every clause alike."""
        static = static_encoder(self.encoder)
        meta, arrays = head_files(self.head)
        identity = {
            "encoder": [self.encoder.name, self.encoder.dimension],
            "taxonomy": self.taxonomy.to_dict(),
            "head": meta,
            "practices": self.practices.digest() if self.practices is not None else None,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
        if static is not None:
            arrays = {**arrays, "static_encoder": static._vectors}
        for name in sorted(arrays):
            array = np.ascontiguousarray(arrays[name])
            digest.update(f"{name} {array.dtype} {array.shape}".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()

    def save(self, directory: str | Path, *, model_card: str | None = None) -> Path:
        """Write the model folder atomically: a crash never leaves a half-written model there.

        ``directory`` must be missing, empty or a clauseclf model folder (which is replaced),
        and not inside the folders this model was read from; ``FileExistsError`` otherwise.
        ``model_card`` (Markdown) defaults to the card training attached to the model.
        """
        target = Path(directory)
        self._check_save_target(target)

        def fill(staging: Path) -> None:
            (staging / CONFIG_FILE).write_text(
                json.dumps(self.config(), indent=2) + "\n", encoding="utf-8"
            )
            (staging / TAXONOMY_FILE).write_text(
                json.dumps(self.taxonomy.to_dict(), indent=2) + "\n", encoding="utf-8"
            )
            self.head.save(staging)  # with the practice map its type ranker reads
            if self.practices is not None and self.head.rank_practices is None:
                self.practices.save(staging)
            static = static_encoder(self.encoder)
            if static is not None:
                static.save(staging / static.spec()["path"])
            card = model_card if model_card is not None else self.metadata.get("model_card")
            if isinstance(card, str):
                (staging / CARD_FILE).write_text(card, encoding="utf-8")

        write_replacing(target, fill)
        return target

    def _check_save_target(self, target: Path) -> None:
        """``FileExistsError`` unless ``save`` may replace ``target`` (see ``save``)."""
        source = self.metadata.get("path")
        static = static_encoder(self.encoder)
        folders = [Path(str(source))] if source else []
        folders += [static.directory] if static is not None else []
        # The model's own folder may be replaced: everything is copied into staging first.
        in_place = bool(source) and target.resolve() == Path(str(source)).resolve()
        for folder in folders:
            if not in_place and is_inside(target, folder):
                raise FileExistsError(
                    f"{target} is inside {folder}, which this model was read from: refusing "
                    "to write there (save the model to a folder of its own)"
                )
        check_model_target(target)

    @classmethod
    def load(cls, path: str | Path | None = None, *, encoder: Encoder | None = None) -> ClauseModel:
        """Load a model folder (default: the embedded model, ``default_model_dir()``).

        ``encoder`` replaces the encoder the config names (e.g. a fake one in tests); it must
        give vectors of the dimension the head was trained on.
        """
        directory = Path(path) if path is not None else default_model_dir()
        if not directory.is_dir():
            raise FileNotFoundError(f"no model folder at {directory}")
        refuse_pickle_files(directory)  # and anything but regular files, before reading
        config = read_json(directory / CONFIG_FILE)
        if config.get("format") != MODEL_FORMAT:
            raise ModelFormatError(f"{directory / CONFIG_FILE} is not a clauseclf model config")
        version = config.get("format_version")
        if version != MODEL_FORMAT_VERSION:
            raise ModelFormatError(
                f"model at {directory} has format version {version!r}; this clauseclf "
                f"({__version__}) reads version {MODEL_FORMAT_VERSION}"
            )
        try:
            taxonomy = taxonomy_from_dict(read_json(directory / TAXONOMY_FILE))
        except TaxonomyError as exc:
            raise ModelFormatError(f"{directory / TAXONOMY_FILE}: {exc}") from None
        head = ClauseHead.load(directory)
        if list(head.types) != list(config.get("types", [])):
            raise ModelFormatError(
                f"model at {directory}: head types differ from the types in {CONFIG_FILE}"
            )
        practices = None  # with a type ranker's practice map: that map (the head read it)
        if head.rank_practices is None and config.get("practices"):
            practices = PracticeMap.load(directory)
        if encoder is None:
            encoder = load_model_encoder(directory, config)
        metadata = {
            "encoder": config.get("encoder"),
            "model_version": config.get("model_version"),
            "training": config.get("training", {}),
            "path": str(directory),
        }
        card_path = directory / CARD_FILE
        if os.path.lexists(card_path):
            require_regular_file(card_path, ModelFormatError)
            metadata["model_card"] = _read_card(card_path)
        return cls(encoder, head, taxonomy, metadata=metadata, practices=practices)


def _read_card(path: Path) -> str:
    """The model card at ``path`` (UTF-8); ``ModelFormatError`` for one larger than
    ``limits.MAX_CARD_BYTES`` (read no further) or not UTF-8."""
    try:
        return limits.read_capped_bytes(path, limits.MAX_CARD_BYTES).decode("utf-8")
    except TooLargeError as exc:
        raise ModelFormatError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"{path}: not valid UTF-8 (byte {exc.start})") from None


def load(path: str | Path | None = None) -> ClauseModel:
    """Load the embedded default model, or the saved model folder at ``path``."""
    return ClauseModel.load(path)
