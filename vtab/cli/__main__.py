"""``python -m vtab.cli``: the vtab command."""

import sys

from vtab.cli.main import main

sys.exit(main())
