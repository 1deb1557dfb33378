"""``python -m clauseclf.training --data DIR [--annotations FILE...] --out DIR --seed N``: train
the default model (the options and the run: ``clauseclf.cli.train.training_main``)."""

from clauseclf.cli.train import training_main

# "training.py": the program name argparse gave this command when it was that module's main.
raise SystemExit(training_main(prog="training.py"))
