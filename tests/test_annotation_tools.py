import json

import numpy as np
import pytest

from clauseclf.annotations import (
    label_studio_config,
    least_certain,
    prediction_margins,
    read_doccano,
    read_label_studio,
    write_doccano_tasks,
    write_label_studio_tasks,
)
from clauseclf.errors import AnnotationError

TEXTS = [
    "Any dispute with Zephyr will be resolved by binding arbitration.",
    "Zephyr does not sell your personal information.",
    "You can reach Zephyr support by e-mail.",
]


def test_label_studio_round_trip(tiny_model, tmp_path):
    path = write_label_studio_tasks(tmp_path / "tasks.json", TEXTS, tiny_model.classify(TEXTS))
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert tasks[0]["predictions"][0]["result"][0]["value"]["choices"] == ["arbitration"]
    # An annotator accepts, corrects or cancels the pre-annotations (as Label Studio exports).
    answers = [
        [
            {"from_name": "type", "value": {"choices": ["arbitration"]}},
            {"from_name": "severity", "value": {"choices": ["high"]}},
        ],
        [{"from_name": "type", "value": {"choices": ["data_sale:none"]}}],
        [{"from_name": "type", "value": {"choices": ["other"]}}],
    ]
    for task_id, (task, result) in enumerate(zip(tasks, answers, strict=True)):
        task["id"] = task_id
        task["annotations"] = [{"result": result, "was_cancelled": False}]
    tasks[2]["annotations"].append({"result": [], "was_cancelled": True})
    path.write_text(json.dumps(tasks), encoding="utf-8")
    imported = read_label_studio(path)
    assert imported.problems == ()
    assert [r.labels for r in imported.records] == [
        {"arbitration": "high"},
        {"data_sale": "none"},
        {},
    ]
    assert imported.records[0].source == "label-studio:tasks.json:0"
    assert imported.records[0].annotated_types is None


def test_label_studio_problems(tmp_path):
    tasks = [
        {"id": 1, "data": {"text": "x"}, "annotations": []},
        {
            "id": 2,
            "data": {"text": "y"},
            "annotations": [{"result": [{"from_name": "type", "value": {"choices": ["nope"]}}]}],
        },
        {
            "id": 3,
            "data": {"text": " "},
            "annotations": [{"result": [{"from_name": "type", "value": {"choices": ["other"]}}]}],
        },
        {
            "id": 4,
            "data": {"text": "z"},
            "annotations": [
                {"result": [{"from_name": "type", "value": {"choices": ["tracking:severe"]}}]}
            ],
        },
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    imported = read_label_studio(path)
    assert imported.records == ()
    assert "task #0 (id 1): no (non-cancelled) annotation" in imported.problems[0]
    assert "task #1 (id 2): unknown clause type 'nope'" in imported.problems[1]
    assert "task #2 (id 3): empty or missing text" in imported.problems[2]
    assert "unknown severity 'severe'" in imported.problems[3]
    with pytest.raises(AnnotationError, match=r"export\.json, task #0"):
        read_label_studio(path, strict=True)
    path.write_text("{broken", encoding="utf-8")
    with pytest.raises(AnnotationError, match="invalid JSON"):
        read_label_studio(path)


def test_doccano_round_trip_and_problems(tiny_model, tmp_path):
    path = write_doccano_tasks(tmp_path / "tasks.jsonl", TEXTS, tiny_model.classify(TEXTS))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["label"] == ["arbitration:high"]
    assert rows[2]["label"] == ["other"]
    rows.append({"text": "bad", "label": ["biometrics"]})
    rows.append({"text": "spans", "label": [[0, 5, "LOC"]]})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{oops\n", encoding="utf-8")
    imported = read_doccano(path)
    assert imported.records[0].labels == {"arbitration": "high"}
    assert imported.records[2].labels == {}
    assert len(imported.records) == 3
    assert "line 4: unknown clause type 'biometrics'" in imported.problems[0]
    assert "line 5: 'label' must be a list of label names" in imported.problems[1]
    assert "line 6: invalid JSON" in imported.problems[2]
    with pytest.raises(AnnotationError, match="line 4"):
        read_doccano(path, strict=True)


def test_least_certain_picks_the_smallest_margins(tiny_model):
    texts = [
        *TEXTS,
        "Zephyr may arbitrate disputes about data it sells.",
        "Zephyr courts and arbitration of law.",
    ]
    predictions = tiny_model.classify(texts)
    margins = prediction_margins(predictions)
    expected = []
    for p in predictions:
        answers = sorted([*p.probabilities.values(), 1 - max(p.probabilities.values())])
        expected.append(answers[-1] - answers[-2])
    np.testing.assert_allclose(margins, expected)
    assert least_certain(tiny_model, texts, n=2) == list(np.argsort(expected, kind="stable")[:2])


def test_label_studio_config_lists_every_type():
    config = label_studio_config()
    assert '<Choice value="ai_training"/>' in config and '<Choice value="other"/>' in config
    assert 'name="severity"' in config


def test_load_annotations_reads_tool_exports(tmp_path):
    from clauseclf.annotations import load_annotations

    label_studio = tmp_path / "export.json"
    label_studio.write_text(
        json.dumps(
            [
                {
                    "id": 7,
                    "data": {"text": "We sell your data.", "platform": "Otterly"},
                    "annotations": [
                        {
                            "result": [
                                {"from_name": "type", "value": {"choices": ["data_sale:high"]}}
                            ]
                        }
                    ],
                },
            ]
        ),
        encoding="utf-8",
    )
    doccano = tmp_path / "doccano.jsonl"
    doccano.write_text(
        '{"text": "We keep logs for a year.", "label": ["data_retention"]}\n', encoding="utf-8"
    )
    loaded = load_annotations([label_studio])
    assert loaded.records[0].labels == {"data_sale": "high"}
    assert loaded.records[0].platform == "Otterly"
    loaded = load_annotations([doccano], format="doccano")
    assert loaded.records[0].labels == {"data_retention": "medium"}
    with pytest.raises(ValueError, match="unknown annotation format 'xml'"):
        load_annotations([doccano], format="xml")


@pytest.mark.slow
def test_cli_exports_least_certain_clauses(tmp_path, capsys):
    from clauseclf.cli import main
    from conftest import EXAMPLE_POLICY

    out = tmp_path / "next.json"
    assert main(["export-uncertain", str(EXAMPLE_POLICY), "--out", str(out), "-n", "5"]) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert len(tasks) == 5
    assert all(task["data"]["text"] in EXAMPLE_POLICY.read_text() for task in tasks)
    out = tmp_path / "next.jsonl"
    assert (
        main(
            [
                "export-uncertain",
                str(EXAMPLE_POLICY),
                "--out",
                str(out),
                "--to",
                "doccano",
                "-n",
                "3",
            ]
        )
        == 0
    )
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_a_label_studio_export_larger_than_the_json_limit_is_refused_unread(tmp_path, monkeypatch):
    from clauseclf import limits

    tasks = [{"id": 1, "data": {"text": TEXTS[0]}, "annotations": []}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size - 1)
    refused = f"export.json: larger than the limit of {size - 1:,}"
    with pytest.raises(AnnotationError, match=refused):
        read_label_studio(path)
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size)
    assert read_label_studio(path).records == ()
