"""``plm release RUN_DIR``: export a training run's model as a release file, with its lineage
(:func:`plmlib.model.export.release_run`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plmlib.model.export import release_run
from plmlib.model.release import shipped_path


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, help="a training run folder (config.yaml and model.pt, from plm train)")
    parser.add_argument("--out", type=Path, default=shipped_path(), help="release file to write "
                        "(default: the default that ships, plmlib.model.release.SHIPPED_NAME)")
    parser.add_argument("--description", default="", help="one line saying what the model is")


def run(args: argparse.Namespace) -> int:
    path, provenance = release_run(args.run, args.out, description=args.description)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) from {args.run / 'model.pt'}: "
          f"{len(provenance['training'])} training stage(s)")
    return 0
