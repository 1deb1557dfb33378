"""Write the notebooks of this folder from the cells below (outputs stripped).

    python notebooks/build_notebooks.py

Edit the cells here, not the .ipynb files, so that the notebooks stay reviewable in git.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

QUICK_START = [
    new_markdown_cell(
        "# clauseclf quick start\n\nAnalyze one policy, look at its clauses, keep the adverse ones."
    ),
    new_code_cell(
        "from pathlib import Path\n\n"
        "import clauseclf\n\n"
        "REPO = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
        "model = clauseclf.load()\n"
        "model"
    ),
    new_code_cell(
        "text = (REPO / 'data' / 'examples' / 'larkspur_terms.txt').read_text(encoding='utf-8')\n"
        "report = model.analyze(text, platform='Larkspur', document='Terms of Service')\n"
        "clauses = report.to_frame()\n"
        "clauses[['clause_index', 'heading', 'label', 'severity', 'confidence', 'text']].head(10)"
    ),
    new_code_cell(
        "high = clauses[clauses['severity'] == 'high']\n"
        "print(f'{len(high)} of {len(clauses)} clauses are high severity')\n"
        "high[['heading', 'label', 'confidence', 'text']]"
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "counts = clauses[clauses['label'] != 'other']['label'].value_counts()\n"
        "ax = counts.plot.barh(figsize=(6, 4), title='Clause types in the Larkspur terms')\n"
        "ax.invert_yaxis()\n"
        "plt.tight_layout()"
    ),
]

BATCH = [
    new_markdown_cell(
        "# Batch scoring\n\nScore a few hundred policies from `../shared/data/policies-2023` "
        "(streamed from the archive, nothing copied), then compare platforms."
    ),
    new_code_cell(
        "import os\n"
        "import tarfile\n"
        "from pathlib import Path\n\n"
        "import clauseclf\n\n"
        "REPO = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
        "ARCHIVE = REPO.parent / 'shared' / 'data' / 'policies-2023' / 'corpus_text.tar.xz'\n"
        "N_DOCUMENTS = int(os.environ.get('CLAUSECLF_NOTEBOOK_DOCUMENTS', '200'))\n"
        "HAVE_DATA = ARCHIVE.is_file()\n"
        "if not HAVE_DATA:\n"
        "    print(f'{ARCHIVE} is missing: this notebook needs the shared data; skipping it.')"
    ),
    new_code_cell(
        "documents = []\n"
        "if HAVE_DATA:\n"
        "    with tarfile.open(ARCHIVE, 'r:xz') as tar:\n"
        "        for member in tar:\n"
        "            if member.isfile() and member.name.endswith('.txt'):\n"
        "                name = Path(member.name).stem\n"
        "                data = tar.extractfile(member).read()\n"
        "                documents.append({'text': data.decode('utf-8', errors='replace'),\n"
        "                                  'id': name, 'platform': name.split('_', 1)[0],\n"
        "                                  'document': name.split('_', 1)[-1]})\n"
        "            if len(documents) >= N_DOCUMENTS:\n"
        "                break\n"
        "print(len(documents), 'documents')"
    ),
    new_code_cell(
        "model = clauseclf.load()\n"
        "scores = model.score(documents, progress=False) if documents else None\n"
        "if scores is not None:\n"
        "    failed = scores[scores['error'].notna()]\n"
        '    print(f"{len(scores) - len(failed):,} clauses scored, "\n'
        '          f"{len(failed)} documents failed")\n'
        "    scores = scores[scores['error'].isna()]\n"
        "scores.head() if scores is not None else None"
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "if scores is not None:\n"
        "    rank = {'none': 0, 'low': 1, 'medium': 2, 'high': 3}\n"
        "    typed = scores[scores['label'] != 'other'].assign(\n"
        "        level=lambda f: f['severity'].map(rank))\n"
        "    top_platforms = typed['platform'].value_counts().index[:25]\n"
        "    heat = (typed[typed['platform'].isin(top_platforms)]\n"
        "            .pivot_table(index='label', columns='platform', values='level',\n"
        "                         aggfunc='max'))\n"
        "    fig, ax = plt.subplots(figsize=(12, 7))\n"
        "    image = ax.imshow(heat.to_numpy(dtype=float), cmap='Reds', vmin=0, vmax=3,\n"
        "                      aspect='auto')\n"
        "    ax.set_xticks(range(len(heat.columns)), heat.columns, rotation=90)\n"
        "    ax.set_yticks(range(len(heat.index)), heat.index)\n"
        "    fig.colorbar(image, ax=ax, label='worst severity (0 none .. 3 high)')\n"
        "    ax.set_title('Clause types x platforms')\n"
        "    plt.tight_layout()"
    ),
    new_code_cell(
        "if scores is not None:\n"
        "    platforms = scores['platform'].nunique()\n"
        "    prevalence = (scores[scores['label'] != 'other'].groupby('label')['platform']\n"
        "                  .nunique().sort_values())\n"
        "    ax = prevalence.plot.barh(figsize=(7, 7),\n"
        "                              title=f'Platforms with each clause type (of {platforms})')\n"
        "    plt.tight_layout()"
    ),
    new_code_cell(
        "if scores is not None:\n"
        "    riskiest = (scores[scores['severity'] == 'high']\n"
        "                .sort_values('confidence', ascending=False)\n"
        "                .groupby('platform').head(1)\n"
        "                [['platform', 'label', 'confidence', 'text']].head(15))\n"
        "riskiest if scores is not None else None"
    ),
]

RETRAINING = [
    new_markdown_cell(
        "# Retraining on new annotations\n\nSplit our own annotations by platform, train a model "
        "on one part and compare it with the shipped model on the other part."
    ),
    new_code_cell(
        "from pathlib import Path\n\n"
        "import pandas as pd\n\n"
        "import clauseclf\n"
        "from clauseclf.annotations import platform_key\n"
        "from clauseclf.evaluation import evaluate\n\n"
        "REPO = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
        "annotations = clauseclf.load_annotations(\n"
        "    [REPO / 'data' / 'annotations' / 'clauses.jsonl'])\n"
        "print(annotations.summary())"
    ),
    new_code_cell(
        "records = list(annotations.records)\n"
        "platforms = sorted({platform_key(r.platform) for r in records})\n"
        "held_out = set(platforms[::3])\n"
        "train = [r for r in records if platform_key(r.platform) not in held_out]\n"
        "test = [r for r in records if platform_key(r.platform) in held_out]\n"
        "print(f'{len(train)} clauses to train on, {len(test)} held out '\n"
        "      f'({len(held_out)} platforms)')"
    ),
    new_code_cell(
        "shipped = clauseclf.load()\n"
        "retrained = clauseclf.train(train, base=None, seed=0, progress=False, n_folds=2)\n"
        "comparison = pd.DataFrame({\n"
        "    name: {'macro-F1': r.macro_f1, 'micro-F1': r.micro_f1,\n"
        "           'severity exact': r.severity_exact_accuracy, 'ECE': r.ece}\n"
        "    for name, r in (('shipped', evaluate(test, shipped)),\n"
        "                    ('retrained on our clauses only', evaluate(test, retrained)))\n"
        "})\n"
        "comparison.round(3)"
    ),
    new_markdown_cell(
        "Our 53 clauses alone are far too few to rival the shipped model, which also learned from "
        "CLAUDETTE and ToS;DR: retrain with `--data ../shared/data` (about 20 minutes) to add them."
    ),
]


def main() -> None:
    for name, cells in (
        ("01_quick_start.ipynb", QUICK_START),
        ("02_batch_scoring.ipynb", BATCH),
        ("03_retraining.ipynb", RETRAINING),
    ):
        for number, cell in enumerate(cells):
            cell["id"] = f"cell-{number}"  # stable ids keep rebuilds out of the diff
        notebook = new_notebook(cells=cells)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(notebook, HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
