"""``plm published refresh [SHARED]`` (developers): rebuild the published-number tables in ``plmlib/published/``
from the developers' ``shared/`` folder (:func:`plmlib.published.refresh.refresh`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from plmlib.published.refresh import DEFAULT_SHARED

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    refresh = actions.add_parser("refresh", help="copy the slides' tables and convert the DAVIS 2016 leaderboard "
                                 "data of SHARED into plmlib/published/",
                                 description="Rebuild plmlib/published/paper/ and leaderboard/ from SHARED.")
    refresh.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED,
                         help=f"the developers' shared/ folder (default: {DEFAULT_SHARED})")


def run(args: argparse.Namespace) -> int:
    from plmlib.published.refresh import refresh

    refresh(args.shared)
    return 0
