"""The README's first Quick start command on a fresh checkout: time and environment size, for a
baseline commit and a candidate, one after the other in the same run.

    python benchmarks/install_footprint.py [--baseline REF] [--candidate REF] [--pip-cache]

Each ref is exported (``git archive``) into a new temporary folder and its own README's first
Quick start command (venv + install + analyze) runs there exactly as written, under ``nice``,
with pip's cache off (``PIP_NO_CACHE_DIR=1``) unless ``--pip-cache``: every package is fetched
from the configured indexes, as on a fresh machine. Prints and returns per ref: wall time of the
command, size of ``.venv``, number of installed distributions, and the candidate / baseline
ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The last commit before the slim core and the packaged model.
BASELINE = "db4d2ed"


def first_quick_start_command(readme: str) -> str:
    """The first command of the README's Quick start bash block (as .ci/run reads it)."""
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    if block is None:
        raise ValueError("README.md has no Quick start bash block")
    commands = [line for line in block.group(1).splitlines() if line.strip() and line[0] != "#"]
    return commands[0]


def folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def measure(ref: str, *, pip_cache: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="clauseclf-install-") as tmp:
        checkout = Path(tmp) / "clauseclf"
        checkout.mkdir()
        archive = subprocess.run(
            ["git", "archive", ref], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
        command = first_quick_start_command((checkout / "README.md").read_text("utf-8"))
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        if not pip_cache:
            env["PIP_NO_CACHE_DIR"] = "1"
        start = time.perf_counter()
        run = subprocess.run(
            ["nice", "bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            raise RuntimeError(f"{ref}: {command!r} failed:\n{run.stderr[-3000:]}")
        venv = checkout / ".venv"
        listed = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        result: dict[str, object] = {
            "ref": ref,
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", ref], cwd=REPO, capture_output=True, text=True
            ).stdout.strip(),
            "command": command,
            "seconds": round(seconds, 1),
            "venv_mb": round(folder_bytes(venv) / 1e6, 1),
            "distributions": len(json.loads(listed.stdout)),
        }
        shutil.rmtree(venv, ignore_errors=True)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"git ref (default {BASELINE})")
    parser.add_argument("--candidate", default="HEAD", help="git ref (default HEAD)")
    parser.add_argument("--pip-cache", action="store_true", help="let pip use its cache")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = [measure(ref, pip_cache=args.pip_cache) for ref in (args.baseline, args.candidate)]
    base, cand = results
    print(f"pip cache: {'used' if args.pip_cache else 'off (PIP_NO_CACHE_DIR=1)'}; python "
          f"{sys.version.split()[0]}; nice; 2 shared cores")  # fmt: skip
    for label, r in (("baseline", base), ("candidate", cand)):
        print(f"{label:9} {r['commit']}: {r['seconds']:7.1f} s, .venv {r['venv_mb']:7.1f} MB, "
              f"{r['distributions']} distributions\n          {r['command']}")  # fmt: skip
    time_ratio = float(cand["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
    size_ratio = float(cand["venv_mb"]) / float(base["venv_mb"])  # type: ignore[arg-type]
    print(f"candidate / baseline: time {time_ratio:.2f}x, size {size_ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
