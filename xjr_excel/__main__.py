"""``python -m xjr_excel``: the ``xjr`` command for PCs where the ``xjr`` script is not on PATH."""
import sys

from xjr_excel.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
