"""``python -m oneuron``: the ``oneuron`` command."""

import sys

from oneuron._cli import main

sys.exit(main())
