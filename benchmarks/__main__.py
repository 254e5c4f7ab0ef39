"""``python -m benchmarks``: run every section and write the report (see README.md)."""

from benchmarks.run import main

raise SystemExit(main())
