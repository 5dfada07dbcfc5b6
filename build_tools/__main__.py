from __future__ import annotations

import sys

from build_tools.cli import main

sys.exit(main())
