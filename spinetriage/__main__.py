import sys

from spinetriage.cli import main

sys.exit(main())
