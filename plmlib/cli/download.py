"""``plm download`` and the scripts in ``data_download/``: download, verify and unpack a dataset or weights file
(:mod:`plmlib.data.download` holds the table of URLs and checksums and does the work)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from plmlib.data import download as _download
from plmlib.data.download import (RESOURCES, DownloadError, Options, default_data_home, get_resource, install,
                                  list_resources, parse_checksum)

SCRIPT = "plm download"  # the command repeated in hints (a data_download script passes its own)


def configure_parser(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """Add the download options to ``parser``; ``names`` limits (and defaults) the resources to choose from."""
    choices = list(names) if names else [r.name for r in RESOURCES]
    if len(choices) > 1:
        parser.add_argument("resources", nargs="*", metavar="RESOURCE",
                            help=f"what to install, among {', '.join(choices)} (default: "
                            f"{'all of them' if names else 'none'})")
    parser.add_argument("--list", action="store_true", help="show the table of URLs and checksums, then exit")
    parser.add_argument("--dest", type=Path, default=None,
                        help="data folder (default: $PLM_DATA_HOME, else ~/.cache/plmlib/data)")
    parser.add_argument("--archive", metavar="PATH",
                        help="use this already downloaded archive (a path or a file:// URL) instead of downloading")
    parser.add_argument("--url", action="append", default=[], metavar="URL",
                        help="download from this URL instead of the table's mirrors (repeat for several)")
    parser.add_argument("--md5", metavar="HEX", help="accept this md5 instead of the table's checksum")
    parser.add_argument("--sha256", metavar="HEX", help="accept this sha256 instead of the table's checksum")
    parser.add_argument("--force", action="store_true", help="download and install again even if present")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    parser.add_argument("--keep-archive", action="store_true", help="keep the downloaded archive after extraction")
    parser.add_argument("--no-layout-check", action="store_true", help="install even if the layout check fails")
    parser.add_argument("--timeout", type=float, default=60.0, help="network timeout in seconds (default 60)")
    parser.add_argument("--retries", type=int, default=3, help="attempts per mirror, resuming each time (default 3)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(_names=choices if names else [], _choices=choices)


def options_from_args(args: argparse.Namespace) -> Options:
    """Options from parsed arguments."""
    checksum = f"md5:{args.md5.lower()}" if args.md5 else f"sha256:{args.sha256.lower()}" if args.sha256 else None
    if checksum:
        parse_checksum(checksum)
    return Options(
        dest=(args.dest or default_data_home()).expanduser().resolve(),
        archive=args.archive,
        urls=tuple(args.url),
        checksum=checksum,
        force=args.force,
        dry_run=args.dry_run,
        keep_archive=args.keep_archive,
        check_layout=not args.no_layout_check,
        timeout=args.timeout,
        attempts=max(1, args.retries),
        progress=not args.quiet,
    )


def run(args: argparse.Namespace, script: str = SCRIPT) -> int:
    """Install the resources named in ``args``; 0 if all succeeded, 1 otherwise."""
    if args.list:
        list_resources()
        return 0
    names = getattr(args, "resources", None) or args._names
    unknown = [n for n in names if n not in args._choices]
    if unknown or not names:
        print(f"error: choose what to install among {', '.join(args._choices)} (or --list)", file=sys.stderr)
        return 2
    one_only = [flag for flag in ("archive", "md5", "sha256") if getattr(args, flag)] + (["url"] if args.url else [])
    if len(names) > 1 and one_only:
        print(f"error: --{one_only[0]} applies to one resource; name one of {', '.join(names)}", file=sys.stderr)
        return 2
    try:
        opts = options_from_args(args)
        if not opts.dry_run:
            from plmlib.core.files import check_writable_folder

            check_writable_folder(opts.dest, "--dest")  # before any download or checksum
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        try:
            # the command to repeat in hints: a script for one resource, or the general one with the resource's name
            install(get_resource(name), opts, script if args._names else f"{script} {name}")
        except DownloadError as err:
            print(f"error: {name}: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None, names: Sequence[str] | None = None, script: str | None = None) -> int:
    """The data_download scripts' entry point; ``names`` restricts it to these resources, ``script`` is the command
    named in its help and hints (default ``plm download``)."""
    script = script or SCRIPT
    title, _, details = (_download.__doc__ or "").partition("\n\n")
    parser = argparse.ArgumentParser(prog=script, description=title, epilog=details,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    configure_parser(parser, names)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return run(args, script)
