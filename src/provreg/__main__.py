"""`python -m provreg`."""

from provreg.entry import main

raise SystemExit(main())
