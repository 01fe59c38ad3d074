"""``python -m plmlib.cli ...`` is ``plm ...`` (also under ``torchrun -m plmlib.cli train pretrain ...``)."""

from plmlib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
