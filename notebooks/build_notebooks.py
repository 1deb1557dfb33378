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
        "# clauseclf quick start\n\n"
        "Analyse one policy (Larkspur Notes, a fictional service of `data/examples`) and read "
        "what an analyst would publish: the verdict first (grade and the formula behind it), "
        "the findings that matter ranked by severity and confidence with their evidence and why "
        "they matter, then every clause type: absent, protective or adverse."
    ),
    new_code_cell(
        "from pathlib import Path\n\n"
        "import pandas as pd\n\n"
        "import clauseclf\n"
        "from clauseclf.text_report import verdict_text\n"
        "from clauseclf.verdict import report_verdict\n\n"
        "pd.set_option('display.max_colwidth', 90)\n"
        "REPO = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
        "model = clauseclf.load()\n"
        "model"
    ),
    new_code_cell(
        "report = model.analyze(REPO / 'data' / 'examples' / 'larkspur_terms.txt',\n"
        "                       platform='Larkspur', document='Terms of Service')\n"
        "verdict = report_verdict(report)\n"
        "print(f'{len(report.clauses)} clauses, {len(verdict.findings)} findings')\n"
        "print(verdict_text(verdict, 100, title='Larkspur Notes, Terms of Service'))"
    ),
    new_markdown_cell(
        "Every finding, most severe first. `stance` is what the severity says about the user: "
        "*adverse* (medium, high), *neutral* (low) or *protective* (none: the clause protects "
        "the user). Findings below confidence 0.5 are listed but do not count towards the "
        "grade (`counted`)."
    ),
    new_code_cell(
        "findings = pd.DataFrame(\n"
        "    {'type': f.type, 'severity': f.severity, 'stance': f.stance,\n"
        "     'confidence': round(f.confidence, 2), 'counted': f.counted,\n"
        "     'evidence': '; '.join(f.evidence), 'clause': f.text}\n"
        "    for f in verdict.findings)\n"
        "findings"
    ),
    new_code_cell(
        "top = verdict.adverse[0]\n"
        "print(f'{top.severity.upper()} {top.type} (confidence {top.confidence:.2f})')\n"
        "print('Clause:', top.text)\n"
        "print('Evidence:', ', '.join(top.evidence))\n"
        "print('Why it matters:', top.explanation.why_it_matters)\n"
        "print('What it means for you:', top.explanation.what_it_means)\n"
        "print('Cite as:', top.citation)"
    ),
    new_markdown_cell(
        "Every clause type of the taxonomy for this document, at its most adverse counted "
        "finding: a type that was not found (grey) is not the same as a protective clause "
        "(blue)."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "from clauseclf.collection import CollectionDocument, severity_table\n"
        "from clauseclf.collection_plots import plot_severity_grid\n\n"
        "larkspur = CollectionDocument('larkspur-terms', 'Larkspur', 'Terms of Service', verdict)\n"
        "grid = severity_table([larkspur])\n"
        "fig, ax = plt.subplots(figsize=(6, 8))\n"
        "plot_severity_grid(grid, ax=ax, title='Larkspur: clause types')\n"
        "plt.tight_layout()\n"
        "grid.T['Larkspur'].value_counts()"
    ),
]

BATCH = [
    new_markdown_cell(
        "# Batch scoring: what a collection of policies says\n\n"
        "Score a few hundred policies from `../shared/data/policies-2023` (streamed from the "
        "archive at run time, nothing copied into the repository; the notebook skips its "
        "cells when the data is missing), then publish what they say: the grades, how common "
        "each clause type is split by stance, a platform x type grid that tells absent, "
        "protective and adverse apart, and the riskiest findings with their evidence.\n\n"
        "Clause types, severities and grades are a model's predictions: read the evidence "
        "before quoting a finding. Saved notebooks carry no outputs (they would hold corpus "
        "text)."
    ),
    new_code_cell(
        "import os\n"
        "import tarfile\n"
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n\n"
        "import clauseclf\n"
        "from clauseclf.collection import (\n"
        "    collection_documents,\n"
        "    findings_table,\n"
        "    prevalence_table,\n"
        "    severity_table,\n"
        "    verdict_table,\n"
        ")\n"
        "from clauseclf.collection_plots import plot_prevalence, plot_severity_grid\n"
        "from clauseclf.verdict import GRADES, MIN_CONFIDENCE, NOT_GRADED\n\n"
        "pd.set_option('display.max_colwidth', 110)\n"
        "REPO = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
        "ARCHIVE = REPO.parent / 'shared' / 'data' / 'policies-2023' / 'corpus_text.tar.xz'\n"
        "N_DOCUMENTS = int(os.environ.get('CLAUSECLF_NOTEBOOK_DOCUMENTS', '200'))\n"
        "HAVE_DATA = ARCHIVE.is_file()\n"
        "if not HAVE_DATA:\n"
        "    print(f'{ARCHIVE} is missing: this notebook needs the shared data; skipping it.')"
    ),
    new_code_cell(
        "texts = []\n"
        "if HAVE_DATA:\n"
        "    with tarfile.open(ARCHIVE, 'r:xz') as tar:\n"
        "        for member in tar:\n"
        "            if member.isfile() and member.name.endswith('.txt'):\n"
        "                name = Path(member.name).stem\n"
        "                data = tar.extractfile(member).read()\n"
        "                texts.append({'text': data.decode('utf-8', errors='replace'),\n"
        "                              'id': name, 'platform': name.split('_', 1)[0],\n"
        "                              'document': name.split('_', 1)[-1]})\n"
        "            if len(texts) >= N_DOCUMENTS:\n"
        "                break\n"
        "print(len(texts), 'documents')"
    ),
    new_code_cell(
        "model = clauseclf.load()\n"
        "documents = []\n"
        "if HAVE_DATA:\n"
        "    scores = model.score(texts, progress=False)\n"
        "    failed = scores[scores['error'].notna()]\n"
        "    documents = collection_documents(\n"
        "        scores, model_version=scores['model_version'].iloc[0])\n"
        "    platforms = len({d.platform for d in documents})\n"
        '    print(f"{len(scores) - len(failed):,} clauses of {len(documents)} documents "\n'
        "          f\"({platforms} platforms) scored; {failed['document_id'].nunique()} \"\n"
        '          "documents failed")'
    ),
    new_markdown_cell(
        "## The verdicts\n\n"
        "Each document's grade (A-E, or *not graded* when too little was found or confidence "
        "is too low; the formula is in the README), with the numbers behind it."
    ),
    new_code_cell(
        "if HAVE_DATA:\n"
        "    verdicts = verdict_table(documents)\n"
        "    grades = verdicts['grade'].value_counts().reindex([*GRADES, NOT_GRADED],\n"
        "                                                       fill_value=0)\n"
        "    display(pd.DataFrame({'documents': grades,\n"
        "                          'share': (grades / grades.sum()).round(2)}).T)\n"
        "    display(verdicts.sort_values('score', ascending=False)\n"
        "            .drop(columns=['document_id', 'reason']).head(10))"
    ),
    new_markdown_cell(
        "## How common each clause type is, by stance\n\n"
        "Each platform counts once per type, at its most adverse finding of the type with "
        "confidence >= 0.5 (the grade's cut-off): *adverse* (high, medium), *neutral* (low), "
        '*protective* (none, e.g. "we do not sell your data") or *absent*. A "we sell" '
        'and a "we don\'t sell" clause are never counted together.'
    ),
    new_code_cell(
        "if HAVE_DATA:\n"
        "    prevalence = prevalence_table(documents, min_confidence=MIN_CONFIDENCE)\n"
        "    prevalence = prevalence.assign(adverse=prevalence['high'] + prevalence['medium'])\n"
        "    prevalence = prevalence.sort_values(['adverse', 'high'], ascending=False)\n"
        "    display(prevalence)\n"
        "    plot_prevalence(prevalence, title=f'{platforms} platforms by their most adverse '\n"
        "                                      'clause of each type')\n"
        "    plt.tight_layout()"
    ),
    new_markdown_cell(
        "## Platforms x clause types\n\n"
        "Thirty graded platforms from the best grade to the worst (evenly spaced in the "
        "collection's order by score), each cell the platform's most adverse counted finding "
        "of the type: grey is *absent*, blue *protective*, yellow *neutral*, orange and dark "
        "red *adverse*."
    ),
    new_code_cell(
        "if HAVE_DATA:\n"
        "    grid = severity_table(documents, min_confidence=MIN_CONFIDENCE)\n"
        "    graded = (verdicts[verdicts['grade'] != NOT_GRADED]\n"
        "              .groupby('platform')['score'].max().sort_values())\n"
        "    step = max(1, len(graded) // 30)\n"
        "    shown = list(graded.index[::step][:30])\n"
        "    plot_severity_grid(grid.loc[shown],\n"
        "                       title='Most adverse clause per type (best graded on the left)')\n"
        "    plt.tight_layout()"
    ),
    new_markdown_cell(
        "## The riskiest findings, with their evidence\n\n"
        "The most confident high-severity finding of each clause type (one platform per row), "
        "with the phrases that drove the prediction and why the type matters. The citation "
        "`record_id` (document hash and clause id) finds the clause again."
    ),
    new_code_cell(
        "if HAVE_DATA:\n"
        "    adverse = findings_table(documents, min_confidence=MIN_CONFIDENCE,\n"
        "                             stances=('adverse',))\n"
        "    riskiest = (adverse[adverse['severity'] == 'high']\n"
        "                .drop_duplicates('type').head(12))\n"
        "    display(riskiest[['type', 'platform', 'confidence', 'evidence', 'text',\n"
        "                      'why_it_matters', 'record_id']].round({'confidence': 2}))"
    ),
    new_markdown_cell(
        "The protective side: the clause types most often promised in the user's favour."
    ),
    new_code_cell(
        "if HAVE_DATA:\n"
        "    protective = findings_table(documents, stances=('protective',))\n"
        "    display(protective.groupby('type')['platform'].nunique()\n"
        "            .sort_values(ascending=False).rename('platforms').to_frame().head(10))"
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
