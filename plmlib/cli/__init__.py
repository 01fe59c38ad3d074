"""The ``plm`` command line: the only code in plmlib that parses arguments.

Every sub-command is one short module of this package (``plmlib/cli/segment.py`` is ``plm segment``, ...) with two
functions: ``configure_parser(parser)`` adds its arguments and ``run(args) -> int`` executes it. A command module
reads its arguments, calls the library function that does the work (it takes explicit keyword parameters and can be
used from Python: :func:`plmlib.infer.run.segment_file`, :func:`plmlib.metrics.evaluate.evaluate`, ...) and prints
what the user is told. Library modules never import this package, nor argparse. ``COMMANDS`` maps each command to
its module, imported only when that command runs, so that ``plm --help`` stays fast. ``python -m plmlib.cli`` is
``plm``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("plmlib.cli.demo", "segment an embedded synthetic video end to end (the README's main job)"),
    "synth": ("plmlib.cli.synth", "write a synthetic video with ground truth (frames + masks)"),
    "download": ("plmlib.cli.download", "download, verify and unpack a dataset or weights (see data_download/)"),
    "info": ("plmlib.cli.info", "describe a dataset or a video folder (sequences, frames, sizes)"),
    "notebooks": ("plmlib.cli.notebooks", "execute the notebook course with papermill (profiles smoke, classroom, paper)"),
    "segment": ("plmlib.cli.segment", "segment a video from its first-frame mask"),
    "evaluate": ("plmlib.cli.evaluate", "score a results folder against a dataset (DAVIS protocol)"),
    "protocol": ("plmlib.cli.protocol", "the JumpCut (transfer 16 ahead) or SegTrack (IoU) protocol for any method"),
    "ablation": ("plmlib.cli.ablation", "the paper's ablation (structures and inference variants) on DAVIS 2016 val"),
    "reproduce": ("plmlib.cli.reproduce", "the paper's protocol on DAVIS 2016 val: fine-tune, segment (PLM variants), score"),
    "release": ("plmlib.cli.release", "export a training run's model as a compact release file, with its lineage"),
    "tables": ("plmlib.cli.tables", "the paper's tables with our numbers beside them (results/tables/, CSV and Markdown)"),
    "figures": ("plmlib.cli.figures", "the reproduction's figures from results/: plm figures results ... / plm figures drift ..."),
    "train": ("plmlib.cli.train", "two-stage training: plm train pretrain ... / plm train finetune ..."),
    "published": ("plmlib.cli.published", "(developers) rebuild plmlib/published/ from the shared/ folder"),
}


def add_threads_option(parser: argparse.ArgumentParser, help_text: str = "torch CPU threads (default: torch's; "
                       "1 is often fastest on a busy 2-core machine)") -> None:
    """``--threads N`` for a command; ``main`` applies it (``torch.set_num_threads``) before the command runs."""
    parser.add_argument("--threads", type=_positive_int, default=None, metavar="N", help=help_text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plm",
        description="Pixel-Level Matching video object segmentation (plmlib).",
    )
    from plmlib import __version__

    parser.add_argument("--version", action="version", version=f"plmlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module_name)
        # Arguments are added lazily in main() for the chosen command only.
    return parser


def configured_parser(argv: list[str]) -> argparse.ArgumentParser:
    """The parser with the arguments of the command ``argv`` names added by its module (only that one's: the
    others' modules are not imported)."""
    parser = build_parser()
    chosen = next((a for a in argv if not a.startswith("-")), None)
    if chosen in COMMANDS:
        module = importlib.import_module(COMMANDS[chosen][0])
        subparser = parser._subparsers._group_actions[0].choices[chosen]  # noqa: SLF001
        module.configure_parser(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = configured_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = importlib.import_module(args._module)
    if getattr(args, "threads", None) is not None:  # add_threads_option
        import torch

        torch.set_num_threads(args.threads)
    try:
        return int(module.run(args) or 0)
    except (OSError, ValueError) as err:
        # Library errors are written for people (file, what was expected): one line, no traceback. The OSErrors of
        # the system (no permission, a file where a folder is expected, a full disk) name their file too.
        print(f"plm {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"plm {args.command}: interrupted (what was finished is kept; unfinished outputs are not written)",
              file=sys.stderr)
        return 130


def _one_line(err: BaseException) -> str:
    """An error as one line: an OSError raised by the system as "FILE: reason", others as their message."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror.lower()}"
    return " ".join(str(err).split()) or type(err).__name__

