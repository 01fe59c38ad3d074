#!/usr/bin/env python3
"""Download SegTrack v2 (SegTrackv2.zip) into DEST/SegTrackv2, verified and checked.

DEST is --dest, else $PLM_DATA_HOME, else ~/.cache/plmlib/data. See --help, and --list for URLs and checksums.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a checkout, installed or not

from plmlib.cli.download import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(names=("segtrack-v2",), script="python data_download/segtrack_v2.py"))
