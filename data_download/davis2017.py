#!/usr/bin/env python3
"""Download DAVIS 2017 trainval 480p (DAVIS-2017-trainval-480p.zip) into DEST/DAVIS2017, verified and checked.

DEST is --dest, else $PLM_DATA_HOME, else ~/.cache/plmlib/data. See --help, and --list for URLs and checksums.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a checkout, installed or not

from plmlib.cli.download import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(names=("davis2017",), script="python data_download/davis2017.py"))
