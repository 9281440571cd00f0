"""`python -m provreg`."""

from provreg.cli import main

raise SystemExit(main())
