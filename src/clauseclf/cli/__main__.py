"""``python -m clauseclf.cli``: the ``clauseclf`` command."""

from clauseclf.cli import main

raise SystemExit(main())
