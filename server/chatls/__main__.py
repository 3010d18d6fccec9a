"""`python -m chatls` is the same as the `chatls` command."""

from chatls.cli import main

raise SystemExit(main())
