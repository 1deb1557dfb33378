import importlib
import importlib.metadata
import json
import pkgutil
import subprocess
import sys

import pytest

from clauseclf import cli
from clauseclf.cli import main
from conftest import EXAMPLE_POLICY


@pytest.mark.parametrize("command", ["analyze", "segment"])
def test_missing_file_exits_nonzero_with_message(command, tmp_path, capsys):
    assert main([command, str(tmp_path / "absent.txt")]) == 1
    assert "absent.txt: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\x00\x01\x02binary\x00", "binary"), (b"ok \xfa\xfb bad", "UTF-8")],
)
@pytest.mark.parametrize("command", ["analyze", "segment", "classify"])
def test_unusable_input_exits_nonzero(command, content, message, tmp_path, capsys):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    assert main([command, str(path)]) == 1
    assert message in capsys.readouterr().err


def test_directory_is_refused(tmp_path, capsys):
    assert main(["segment", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze"])
    assert exit_info.value.code == 2


def test_bad_jsonl_line_is_named(tmp_path, capsys):
    path = tmp_path / "clauses.jsonl"
    path.write_text('{"text": "We sell your data."}\n{"text": \n', encoding="utf-8")
    assert main(["classify", str(path)]) == 1
    assert "line 2: invalid JSON" in capsys.readouterr().err


def test_missing_model_folder(tmp_path, capsys):
    assert main(["analyze", str(EXAMPLE_POLICY), "--model", str(tmp_path / "nomodel")]) == 1
    assert "no model folder" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_segment_outputs(fmt, capsys):
    assert main(["segment", str(EXAMPLE_POLICY), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "binding arbitration" in out
    if fmt == "json":
        data = json.loads(out)
        assert data["format"] == "text"
        text = EXAMPLE_POLICY.read_text(encoding="utf-8")
        assert all(text[c["start"] : c["end"]] == c["text"] for c in data["clauses"])
    if fmt == "table":
        assert "== 7. Disputes ==" in out


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_analyze_with_shipped_model(fmt, capsys):
    assert main(["analyze", str(EXAMPLE_POLICY), "--platform", "Larkspur", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        report = json.loads(out)
        assert report["platform"] == "Larkspur"
        assert len(report["sha256"]) == 64
        labels = {c["label"] for c in report["clauses"]}
        assert "arbitration" in labels
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        assert {"label", "labels", "severity", "confidence", "start", "end"} <= set(rows[0])
    else:
        assert "arbitration" in out


@pytest.mark.slow
def test_classify_lines_with_shipped_model(tmp_path, capsys):
    path = tmp_path / "clauses.txt"
    path.write_text(
        "We sell your personal data to advertisers.\n\nYou can contact us.\n", encoding="utf-8"
    )
    assert main(["classify", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["index"] for r in rows] == [0, 1]
    assert rows[0]["text"].startswith("We sell")


# -- the package layout: clauseclf.cli is cheap to import and every module stands alone ----------

#: Every module of the package but ``__main__`` (importing it runs the command line; see
#: test_console_script_and_python_m_cli).
CLI_MODULES = sorted(
    f"clauseclf.cli.{info.name}"
    for info in pkgutil.iter_modules(cli.__path__)
    if info.name != "__main__"
)

#: Importing clauseclf.cli may load these clauseclf modules besides its own, and nothing else
#: (``errors``, standard library only: ``main`` reports a ``MissingExtraError`` as one line).
LIGHT_MODULES = {"clauseclf", "clauseclf.errors", "clauseclf.rendering"}

IMPORT_CHECK = """
import json, os, signal, sys, threading, warnings

environ, argv, path = dict(os.environ), list(sys.argv), list(sys.path)
streams = (sys.stdin, sys.stdout, sys.stderr)
handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)}
filters, before = list(warnings.filters), set(sys.modules)

import clauseclf.cli

print(json.dumps({
    "new_modules": sorted(set(sys.modules) - before),
    "stdlib": sorted(sys.stdlib_module_names),
    "environ": dict(os.environ) == environ,
    "argv": sys.argv == argv,
    "path": sys.path == path,
    "streams": (sys.stdin, sys.stdout, sys.stderr) == streams,
    "signals": {s: signal.getsignal(s) for s in handlers} == handlers,
    "warnings": warnings.filters == filters,
    "threads": threading.active_count(),
    "cwd_files": os.listdir("."),
}), file=sys.__stdout__)
"""


def _python(*args, cwd):
    """Run a fresh interpreter with ``args`` in the folder ``cwd``."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_cli_package_has_the_command_modules():
    assert "clauseclf.cli._common" in CLI_MODULES
    commands = [name for name in CLI_MODULES if not name.rsplit(".", 1)[1].startswith("_")]
    assert len(commands) == 10  # analyze ... diff, compare, atlas
    for name in commands:
        module = importlib.import_module(name)
        assert callable(module.add_parser), name
        assert callable(module.run), name


@pytest.mark.parametrize("name", ["clauseclf.cli", *CLI_MODULES])
def test_every_cli_module_imports_on_its_own(name, tmp_path):
    result = _python("-c", f"import importlib; importlib.import_module({name!r})", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def test_importing_the_cli_only_defines_things(tmp_path):
    result = _python("-c", IMPORT_CHECK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()  # the check's own line: the import printed nothing
    state = json.loads(line)
    stdlib = set(state["stdlib"])
    new = state["new_modules"]
    third_party = [
        m for m in new if m.split(".")[0] not in stdlib and m.split(".")[0] != "clauseclf"
    ]
    assert third_party == []  # no numpy, pandas, torch, ... until a command runs
    ours = {m for m in new if m.split(".")[0] == "clauseclf"}
    assert {m for m in ours if not m.startswith("clauseclf.cli")} <= LIGHT_MODULES
    assert set(CLI_MODULES) <= ours
    for key in ("environ", "argv", "path", "streams", "signals", "warnings"):
        assert state[key] is True, f"importing clauseclf.cli changed {key}"
    assert state["threads"] == 1
    assert state["cwd_files"] == []


def test_console_script_and_python_m_cli(tmp_path):
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="clauseclf")
    assert script.value == "clauseclf.cli:main"
    assert script.load() is main
    result = _python("-m", "clauseclf.cli", "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("clauseclf ")
