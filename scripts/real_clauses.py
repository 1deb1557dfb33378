"""Sample clauses of policies-2023 for labelling, and collect the labels as standoff records.

Two steps (see data/annotations/real/README.md):

``sample``: segment every document of ``policies-2023`` (the unpacked ``corpus_text.tar.xz``)
with clauseclf's segmenter, leave out the reserved services, then take

* a random part: every clause of whole documents drawn at random (documents of more than
  ``--max-doc-clauses`` clauses are passed over so that a few giant documents do not fill it),
  until ``--random-clauses`` clauses are reached;
* a targeted part: per type, clauses matching the type's search pattern (``PATTERNS``), at most
  one per document per type, preferring documents not yet sampled, deduplicated on normalised
  wording across the whole sample;

and write batch files (id, document, heading, text) for labellers to a work folder outside the
repository, plus ``manifest.jsonl`` (id -> file, offsets, SHA-256, part).

``collect``: read the labellers' output files (one JSON line per clause, in order), check them
against the manifest, and write the standoff records of ``data/annotations/real/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from clauseclf.documents import read_document
from clauseclf.segmentation import segment_document

PATTERNS: dict[str, str] = {
    "arbitration": r"\barbitra",
    "class_action_waiver": r"class[- ]action|collective action|representative (action|proceeding)"
    r"|jury trial|class[- ]wide|class arbitration|as a plaintiff or class member",
    "jurisdiction": r"exclusive jurisdiction|\bvenue\b|\bforum\b|courts? (of|in|located)"
    r"|submit to the (personal )?jurisdiction",
    "governing_law": r"governed by|governing law|construed in accordance|laws of the state",
    "claim_time_limit": r"within (one|1|two|2|six|6)\s*(\(\d\)\s*)?(year|month)"
    r"|forever barred|time[- ]barred|statute of limitation|cause of action .{0,80}(must|shall) be",
    "limitation_of_liability": r"not be liable|no liability|limitation of liability|in no event"
    r"|aggregate liability|liable for any (indirect|consequential|special)",
    "warranty_disclaimer": r"\bas is\b|as available|without warrant|disclaim|no warrant",
    "indemnification": r"indemnif|hold harmless|harmless",
    "unilateral_change": r"(change|modify|amend|update|revise)[a-z]* (these|this|the|our) "
    r"(terms|policy|agreement|privacy)|right to (change|modify|amend)",
    "unilateral_termination": r"(suspend|terminat|disable|discontinu)[a-z]* (your|the|any)? ?"
    r"(account|access|use|service)",
    "content_removal": r"(remove|delete|block|refuse|edit)[a-z]* (any |such )?(user )?"
    r"(content|material|post|submission)",
    "contract_by_use": r"by (using|accessing|visiting|continuing)|continued use|use of .{0,40}"
    r"constitutes|you agree to (be bound|these terms)",
    "content_license": r"licen[cs]e|(retain|own)s? (all )?(ownership|rights)|moral rights"
    r"|intellectual property in (your|user)",
    "user_conduct": r"you (agree )?(not to|will not|shall not|may not|must not)|prohibited"
    r"|acceptable use|scrap|responsible for (maintaining|keeping|safeguarding)",
    "data_collection": r"we (may )?collect|information we collect|collects? (the following|"
    r"information|data)|automatically (collect|receive)",
    "third_party_sharing": r"\bshare|\bdisclose|third[- ]part|service providers|affiliates",
    "data_sale": r"\bsell|\bsale of (your )?personal|\bsold\b|\brent (your|personal)"
    r"|valuable consideration|\bsale\b",
    "targeted_advertising": r"advertis|interest[- ]based|personali[sz]ed (ads|advert|content)"
    r"|\bprofil|behavio(u)?ral",
    "tracking": r"cookie|pixel|web beacon|do not track|fingerprint|tracking|analytics",
    "data_retention": r"\bretain|retention|\bkeep (your|personal|the)|stored for|as long as",
    "data_security": r"\bsecur|encrypt|\bbreach|safeguard|unauthori[sz]ed access",
    "user_rights": r"right (to|of) (access|delet|erasure|correct|rectif|portab|object|know|request)"
    r"|request (access|deletion|a copy)|data subject",
    "opt_out": r"opt[- ]?out|unsubscribe|withdraw (your )?consent|opt[- ]?in\b|your choices"
    r"|preferences",
    "international_transfer": r"transferr?[a-z]* .{0,80}(countr|outside|abroad|united states|"
    r"jurisdictions)|standard contractual|adequacy|european economic area|cross[- ]border",
    "business_transfer": r"merger|acquisition|bankruptcy|insolvency|reorgani[sz]ation"
    r"|sale of (all|substantially|assets|our (business|company))",
    "government_access": r"law enforcement|subpoena|court order|legal process|government"
    r"|required by law|public authorit",
    "children": r"\bchild|under (the age of )?1[3-8]|\bminors?\b|coppa"
    r"|parent(al)? (consent|or guardian)",
    "ai_training": r"artificial intelligence|machine[- ]learning|\bAI\b|\bA\.I\.|algorithm"
    r"|generative|large language|\bLLMs?\b|neural|deep learning|(train|training) (our |the |its )?"
    r"(models?|systems?|algorithms?)",
}

#: AI wording and training wording in one clause: the ai_training candidates.
_AI_WORDING = re.compile(
    r"(?i:artificial intelligence|machine[- ]learning|\bA\.I\.|algorithm|generative"
    r"|large language|neural|deep learning)|\bAIs?\b|\bLLMs?\b|\bML\b"
)
_TRAINING_WORDING = re.compile(r"train|learn|improv|develop|model", re.I)


class _BothWordings:
    """``search`` finds clauses with both AI and training wording (two linear scans)."""

    def search(self, text: str) -> bool:
        return bool(_AI_WORDING.search(text) and _TRAINING_WORDING.search(text))


AI_TRAINING_STRONG = _BothWordings()

#: Second-round patterns for types the first round left short of positives (``extend``).
STRONG_PATTERNS: dict[str, re.Pattern[str]] = {
    "data_sale": re.compile(
        r"\b(sell|sells|sold|selling|sale of|rent)\b.{0,60}\b(personal|your|data|information)"
        r"|\b(personal|your) (data|information).{0,60}\b(sell|sold|rent)\b",
        re.I | re.S,
    ),
    "content_license": re.compile(
        r"\bgrants?\b.{0,60}licen[cs]e|(worldwide|royalty[- ]free|non[- ]exclusive|perpetual"
        r"|irrevocable|sublicensable).{0,40}licen[cs]e|you (retain|keep|own)\b.{0,40}"
        r"(ownership|rights|content)|moral rights",
        re.I | re.S,
    ),
    "claim_time_limit": re.compile(
        r"(within|after) (one|1|two|2|six|6|three|3)\s*(\(\d\)\s*)?(year|month)s?.{0,120}"
        r"(claim|action|cause)|(claim|action|cause of action).{0,150}(within|after) (one|1|two|2"
        r"|six|6|three|3)\s*(\(\d\)\s*)?(year|month)|forever barred|permanently barred"
        r"|time[- ]barred",
        re.I | re.S,
    ),
}

#: Smaller targeted parts for types that whole documents already hold many of.
COMMON = (
    "data_collection",
    "third_party_sharing",
    "tracking",
    "targeted_advertising",
    "data_security",
)

#: Types whose targeted part is larger (the issue asks for >= 300 positives of each).
LARGE_QUOTA = ("ai_training", "arbitration", "class_action_waiver", "data_sale")


def service(file_name: str) -> str:
    """The service a ``<Service>_<Title>.txt`` file belongs to."""
    return file_name.split("_", 1)[0]


def normalised(text: str) -> str:
    """Wording key used to drop near-identical clauses (case, punctuation, spacing ignored)."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def sha256(text: str) -> str:
    """SHA-256 of a clause's text, as stored in the standoff records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _documents(corpus: Path, reserved: set[str]) -> list[Path]:
    files = sorted(
        p for p in corpus.glob("*.txt") if service(p.name).strip().lower() not in reserved
    )
    return files


def _segments(path: Path) -> list[tuple[int, int, str, str]]:
    text = read_document(path)
    doc = segment_document(text, format="text")
    if doc.text != text:
        raise RuntimeError(f"{path.name}: extraction changed the text; offsets would not hold")
    return [(s.start, s.end, s.text, s.heading or "") for s in doc.segments]


def sample(args: argparse.Namespace) -> None:
    corpus = Path(args.corpus)
    reserved = {
        line.strip().lower()
        for line in Path(args.reserved).read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    files = _documents(corpus, reserved)
    print(f"{len(files)} documents outside the reserved services", file=sys.stderr)
    rng = random.Random(args.seed)
    segmented: dict[str, list[tuple[int, int, str, str]]] = {}
    skipped: Counter[str] = Counter()
    for path in files:
        try:
            segmented[path.name] = _segments(path)
        except Exception as exc:  # a document the reader refuses is left out, and counted
            skipped[type(exc).__name__] += 1
    print(f"documents the reader refused: {dict(skipped)}", file=sys.stderr)
    names = sorted(segmented)
    order = names[:]
    rng.shuffle(order)
    items: list[dict[str, object]] = []
    seen: set[str] = set()
    used_docs: Counter[str] = Counter()
    # Random part: whole documents.
    n_random = 0
    for name in order:
        if n_random >= args.random_clauses:
            break
        segs = segmented[name]
        if not segs or len(segs) > args.max_doc_clauses:
            continue
        for start, end, text, heading in segs:
            items.append(_item(name, start, end, text, heading, "random"))
            seen.add(normalised(text))
        used_docs[name] += len(segs)
        n_random += len(segs)
    random_docs = set(used_docs)
    # Targeted part: per type, pattern matches spread over documents.
    for type_id, pattern in PATTERNS.items():
        quota = args.large_quota if type_id in LARGE_QUOTA else args.quota
        if type_id in COMMON:
            quota = args.common_quota
        per_doc = 3 if type_id == "ai_training" else 1
        regex: _BothWordings | re.Pattern[str] = (
            AI_TRAINING_STRONG if type_id == "ai_training" else re.compile(pattern, re.I)
        )
        candidates = []
        for name in names:
            if name in random_docs:
                continue
            hits = [
                seg
                for seg in segmented[name]
                if args.min_chars <= len(seg[2]) <= args.max_chars and regex.search(seg[2])
            ]
            if hits:
                candidates.append((name, hits))
        rng.shuffle(candidates)
        candidates.sort(key=lambda c: used_docs[c[0]] > 0)  # unsampled documents first (stable)
        taken = 0
        for name, hits in candidates:
            rng.shuffle(hits)
            in_doc = 0
            for start, end, text, heading in hits:
                key = normalised(text)
                if key in seen or taken >= quota or in_doc >= per_doc:
                    continue
                items.append(_item(name, start, end, text, heading, f"targeted:{type_id}"))
                seen.add(key)
                used_docs[name] += 1
                taken += 1
                in_doc += 1
        print(f"{type_id}: {len(candidates)} documents match, {taken} taken", file=sys.stderr)
    _write_batches(items, Path(args.out), args.batch_size, args.double, rng)
    print(
        f"{len(items)} clauses from {len(used_docs)} documents "
        f"({n_random} random from {len(random_docs)} whole documents)",
        file=sys.stderr,
    )


def _item(name: str, start: int, end: int, text: str, heading: str, part: str) -> dict[str, object]:
    return {
        "doc_file": name,
        "start": start,
        "end": end,
        "sha256": sha256(text),
        "part": part,
        "text": text,
        "heading": heading,
    }


def _write_batches(
    items: list[dict[str, object]], out: Path, batch_size: int, double: int, rng: random.Random
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng.shuffle(items)
    for i, item in enumerate(items):
        item["id"] = f"c{i:05d}"
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for item in items:
            row = {k: item[k] for k in ("id", "doc_file", "start", "end", "sha256", "part")}
            manifest.write(json.dumps(row) + "\n")
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    for number, batch in enumerate(batches):
        _write_batch(out / f"batch_{number:03d}.jsonl", batch)
    second = rng.sample(items, double)
    for number, start in enumerate(range(0, len(second), batch_size)):
        _write_batch(out / f"double_{number:02d}.jsonl", second[start : start + batch_size])


def _write_batch(path: Path, batch: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in batch:
            name = str(item["doc_file"])
            row = {
                "id": item["id"],
                "document": name[: -len(".txt")],
                "heading": item["heading"],
                "text": item["text"],
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def extend(args: argparse.Namespace) -> None:
    """Add batches to an existing sample: every ai_training candidate not yet in it (no cap per
    document), a second targeted round (``STRONG_PATTERNS``, ``--quotas``, one clause per
    document not yet sampled), more whole random documents not yet sampled
    (``--random-clauses``, part "random"; with ``--partly-sampled-too`` also documents of which
    only targeted or uncertain clauses were sampled, adding their other clauses), a
    model-uncertainty part (the shipped model's least certain clause of each of
    ``--uncertain-documents`` documents not yet sampled) and a batch of ``--double`` of the new
    clauses for a second reading. The model only chooses clauses;
    labellers never see its output."""
    from clauseclf.annotations import prediction_margins
    from clauseclf.inference.model import ClauseModel

    out = Path(args.out)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    reserved = {
        line.strip().lower()
        for line in Path(args.reserved).read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    files = _documents(Path(args.corpus), reserved)
    seen = {normalised(item["text"]) for item in _batch_items(out)}
    used = {item["doc_file"] for item in manifest}
    rng = random.Random(args.seed + 1)
    items: list[dict[str, object]] = []
    unsampled: list[Path] = []
    candidates: dict[str, list[tuple[str, tuple[int, int, str, str]]]] = {
        t: [] for t in STRONG_PATTERNS
    }
    for path in files:
        segments = [s for s in _segments(path) if args.min_chars <= len(s[2]) <= args.max_chars]
        for segment in segments:
            text = segment[2]
            if AI_TRAINING_STRONG.search(text) and normalised(text) not in seen:
                items.append(_item(path.name, *segment, "targeted:ai_training"))
                seen.add(normalised(text))
        if path.name not in used:
            unsampled.append(path)
        if path.name not in used or args.sampled_documents_too:
            for type_id, pattern in STRONG_PATTERNS.items():
                hits = [s for s in segments if pattern.search(s[2])]
                if hits:
                    candidates[type_id].append((path.name, rng.choice(hits)))
    print(f"ai_training: {len(items)} more candidates", file=sys.stderr)
    quotas = dict(q.split(":") for q in args.quotas.split(",") if q)
    for type_id, found in candidates.items():
        rng.shuffle(found)
        taken = 0
        for name, segment in found:
            if taken >= int(quotas.get(type_id, 0)):
                break
            if normalised(segment[2]) in seen:
                continue
            if name in used and not args.sampled_documents_too:
                continue
            items.append(_item(name, *segment, f"targeted:{type_id}"))
            seen.add(normalised(segment[2]))
            used.add(name)
            taken += 1
        print(f"{type_id}: {len(found)} documents match, {taken} taken", file=sys.stderr)
    whole = {item["doc_file"] for item in manifest if item["part"] == "random"}
    labelled = {(item["doc_file"], item["start"]) for item in manifest}
    pool = unsampled
    if args.partly_sampled_too:
        pool = sorted(p for p in files if p.name not in whole)
    rng.shuffle(pool)
    added_random = 0
    for path in pool:
        if added_random >= args.random_clauses:
            break
        segments = _segments(path)
        if not segments or len(segments) > args.max_doc_clauses:
            continue
        fresh = [s for s in segments if (path.name, s[0]) not in labelled]
        for segment in fresh:
            items.append(_item(path.name, *segment, "random"))
            seen.add(normalised(segment[2]))
        used.add(path.name)
        added_random += len(fresh)
    print(f"random: {added_random} clauses of whole documents", file=sys.stderr)
    model = ClauseModel.load()
    uncertain = 0
    for path in [p for p in unsampled if p.name not in used][: args.uncertain_documents]:
        segments = [s for s in _segments(path) if args.min_chars <= len(s[2]) <= args.max_chars]
        segments = [s for s in segments if normalised(s[2]) not in seen]
        if not segments:
            continue
        margins = prediction_margins(model.classify([s[2] for s in segments]))
        start, end, text, heading = segments[int(margins.argmin())]
        items.append(_item(path.name, start, end, text, heading, "uncertain"))
        seen.add(normalised(text))
        uncertain += 1
    print(f"uncertain: {uncertain} clauses", file=sys.stderr)
    rng.shuffle(items)
    first = len(manifest)
    with (out / "manifest.jsonl").open("a", encoding="utf-8") as handle:
        for offset, item in enumerate(items):
            item["id"] = f"c{first + offset:05d}"
            row = {k: item[k] for k in ("id", "doc_file", "start", "end", "sha256", "part")}
            handle.write(json.dumps(row) + "\n")
    number = len(list(out.glob("batch_*.jsonl")))
    for start in range(0, len(items), args.batch_size):
        _write_batch(out / f"batch_{number:03d}.jsonl", items[start : start + args.batch_size])
        number += 1
    if args.double:
        doubles = len(list(out.glob("double_*.jsonl")))
        second = rng.sample(items, min(args.double, len(items)))
        for start in range(0, len(second), args.batch_size):
            _write_batch(
                out / f"double_{doubles:02d}.jsonl", second[start : start + args.batch_size]
            )
            doubles += 1


def _batch_items(folder: Path) -> list[dict[str, str]]:
    return [
        json.loads(line)
        for path in sorted(folder.glob("batch_*.jsonl"))
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.strip()
    ]


def _read_labels(path: Path) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("labels"), dict):
            raise ValueError(f"{path}, line {number}: no labels object")
        labels[str(row["id"])] = {str(t): str(v) for t, v in row["labels"].items()}
    return labels


def _readings(folder: Path, pattern: str) -> dict[str, tuple[dict[str, str], str]]:
    found: dict[str, tuple[dict[str, str], str]] = {}
    for path in sorted(folder.glob(pattern)):
        batch = path.name.split(".")[0]
        for clause_id, labels in _read_labels(path).items():
            found[clause_id] = (labels, batch)
    return found


def agreement(
    first: dict[str, dict[str, str]], second: dict[str, dict[str, str]], types: list[str]
) -> dict[str, object]:
    """Per-type F1 of one reading against the other (symmetric), micro-F1 and exact agreement
    on the clause's type set, and severity agreement where both readings give a type."""
    ids = sorted(set(first) & set(second))
    per_type: dict[str, dict[str, float]] = {}
    tp_all = fp_all = fn_all = 0
    for type_id in types:
        a = [type_id in first[i] for i in ids]
        b = [type_id in second[i] for i in ids]
        tp = sum(x and y for x, y in zip(a, b, strict=True))
        fp = sum(y and not x for x, y in zip(a, b, strict=True))
        fn = sum(x and not y for x, y in zip(a, b, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        if tp + fp + fn:
            per_type[type_id] = {
                "first": sum(a),
                "second": sum(b),
                "both": tp,
                "f1": round(2 * tp / (2 * tp + fp + fn), 3),
            }
    shared = [(i, t) for i in ids for t in first[i] if t in second[i]]
    same_severity = sum(first[i][t] == second[i][t] for i, t in shared)
    return {
        "clauses": len(ids),
        "micro_f1": round(2 * tp_all / max(1, 2 * tp_all + fp_all + fn_all), 3),
        "same_type_set": round(sum(set(first[i]) == set(second[i]) for i in ids) / len(ids), 3),
        "severity_agreement": round(same_severity / max(1, len(shared)), 3),
        "per_type": per_type,
    }


def _settled(readings: list[dict[str, str]]) -> dict[str, str]:
    """Per type, kept when most readings give it; its severity the most frequent one among
    them (ties: the last reading's, the third reading settling a disagreement)."""
    types = {t for reading in readings for t in reading}
    settled = {}
    for type_id in sorted(types):
        levels = [r[type_id] for r in readings if type_id in r]
        if 2 * len(levels) <= len(readings):
            continue
        counts = Counter(levels)
        best = max(counts.values())
        tied = [level for level in levels if counts[level] == best]
        settled[type_id] = tied[-1]
    return settled


def collect(args: argparse.Namespace) -> None:
    work = Path(args.work)
    manifest = [
        json.loads(line) for line in (work / "batches" / "manifest.jsonl").read_text().splitlines()
    ]
    taxonomy = json.loads(Path(args.taxonomy).read_text(encoding="utf-8"))
    types = [t["id"] for t in taxonomy["types"] if t["id"] != "other"]
    first = _readings(work / "out", "batch_*.labels.jsonl")
    second = _readings(work / "out", "double_*.labels.jsonl")
    third = _readings(work / "out", "third_*.labels.jsonl")
    first_labels = {i: labels for i, (labels, _) in first.items()}
    second_labels = {i: labels for i, (labels, _) in second.items() if i in first}
    report = agreement(first_labels, second_labels, types)
    disagreeing = [i for i in sorted(second_labels) if first_labels[i] != second_labels[i]]
    if args.third_batch:
        by_id = {}
        for path in sorted((work / "batches").glob("batch_*.jsonl")):
            for line in path.read_text(encoding="utf-8").split("\n"):
                if not line.strip():
                    continue
                row = json.loads(line)
                by_id[row["id"]] = line
        todo = [i for i in disagreeing if i not in third]
        numbers = [int(p.stem.split("_")[1]) for p in (work / "batches").glob("third_*.jsonl")]
        first_number = max(numbers, default=-1) + 1
        for number, start in enumerate(range(0, len(todo), args.batch_size), first_number):
            with (work / "batches" / f"third_{number:02d}.jsonl").open("x") as handle:
                handle.writelines(by_id[i] + "\n" for i in todo[start : start + args.batch_size])
        print(f"{len(todo)} disagreements written for a third reading", file=sys.stderr)
    texts = {item["id"]: item["text"] for item in _batch_items(work / "batches")}
    settled: dict[str, dict[str, str]] = {}
    readings_of: dict[str, list[dict[str, str]]] = {}
    for item in manifest:
        clause_id = item["id"]
        if clause_id not in first:
            continue
        readings = [first[clause_id][0]]
        if clause_id in second:
            readings.append(second[clause_id][0])
            if clause_id in third:
                readings.append(third[clause_id][0])
        if len(readings) == 2 and readings[0] != readings[1]:
            continue  # unsettled until its third reading
        readings_of[clause_id] = readings
        settled[clause_id] = _settled(readings) if len(readings) > 1 else readings[0]
    # The same wording in several documents gets one answer: labels are judged from the
    # clause's text, so differing labels of one text are settled by the same majority rule.
    by_text: dict[str, list[str]] = {}
    for clause_id in settled:
        by_text.setdefault(normalised(texts[clause_id]), []).append(clause_id)
    repeated_conflicts = 0
    for ids in by_text.values():
        if len({json.dumps(settled[i], sort_keys=True) for i in ids}) > 1:
            repeated_conflicts += 1
            common = _settled([settled[i] for i in ids])
            for i in ids:
                settled[i] = common
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        for item in manifest:
            clause_id = item["id"]
            if clause_id not in settled:
                continue
            record = {
                "doc_file": item["doc_file"],
                "start": item["start"],
                "end": item["end"],
                "sha256": item["sha256"],
                "labels": settled[clause_id],
                "batch": first[clause_id][1],
                "part": item["part"],
                "readings": len(readings_of[clause_id]),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    report["disagreements"] = len(disagreeing)
    report["settled_by_third_reading"] = sum(1 for i in disagreeing if i in third)
    report["records"] = written
    report["repeated_texts_settled"] = repeated_conflicts
    Path(args.agreement).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(
        f"{written} records; agreement micro-F1 {report['micro_f1']} on {report['clauses']} "
        f"clauses read twice, severity {report['severity_agreement']}",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write batches for labellers")
    s.add_argument(
        "--corpus", required=True, help="folder of the unpacked policies-2023 .txt files"
    )
    s.add_argument("--reserved", default="../shared/annotation/reserved_services.txt")
    s.add_argument("--out", required=True, help="work folder outside the repository")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--random-clauses", type=int, default=5000)
    s.add_argument("--max-doc-clauses", type=int, default=300)
    s.add_argument("--quota", type=int, default=160)
    s.add_argument("--common-quota", type=int, default=100)
    s.add_argument("--large-quota", type=int, default=400)
    s.add_argument("--min-chars", type=int, default=30)
    s.add_argument("--max-chars", type=int, default=1500)
    s.add_argument("--batch-size", type=int, default=250)
    s.add_argument("--double", type=int, default=520, help="clauses labelled a second time")
    e = sub.add_parser("extend", help="add ai_training candidates and uncertain clauses")
    e.add_argument("--corpus", required=True)
    e.add_argument("--reserved", default="../shared/annotation/reserved_services.txt")
    e.add_argument("--out", required=True, help="the work folder of the sample (batches)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--uncertain-documents", type=int, default=500)
    e.add_argument("--random-clauses", type=int, default=0, help="more whole random documents")
    e.add_argument("--max-doc-clauses", type=int, default=300)
    e.add_argument("--double", type=int, default=0, help="new clauses labelled a second time")
    e.add_argument("--quotas", default="data_sale:350,content_license:150,claim_time_limit:120")
    e.add_argument(
        "--sampled-documents-too",
        action="store_true",
        help="second-round candidates may come from documents already sampled",
    )
    e.add_argument(
        "--partly-sampled-too",
        action="store_true",
        help="whole random documents may come from documents of which a few clauses (targeted or"
        " uncertain) were sampled; only their other clauses are added",
    )
    e.add_argument("--min-chars", type=int, default=30)
    e.add_argument("--max-chars", type=int, default=1500)
    e.add_argument("--batch-size", type=int, default=250)
    c = sub.add_parser("collect", help="labellers' output -> standoff records")
    c.add_argument("--work", required=True, help="the work folder (batches/ and out/)")
    c.add_argument("--taxonomy", default="../shared/data/taxonomy.json")
    c.add_argument("--out", default="data/annotations/real/labels.jsonl")
    c.add_argument("--agreement", default="data/annotations/real/agreement.json")
    c.add_argument("--third-batch", action="store_true", help="write disagreements to label")
    c.add_argument("--batch-size", type=int, default=250)
    args = parser.parse_args(argv)
    {"sample": sample, "extend": extend, "collect": collect}[args.command](args)


if __name__ == "__main__":
    main()
