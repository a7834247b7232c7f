"""`python -m bot` runs the same CLI as `meldwijzer`."""

from bot.cli import main

raise SystemExit(main())
