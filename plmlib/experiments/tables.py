"""The paper's tables, regenerated: published numbers beside ours, written to ``results/tables/`` as CSV and Markdown.

    plm tables                        # reads results/davis2016_val/<method>/, writes results/tables/
    from plmlib.experiments.tables import davis_table, ablation_table, headline_table

- ``davis_table``: per-sequence J and F on DAVIS 2016 val (slides: "Quantitative results"): HVS, NLC, JMP, SEA, BVS as
  published, our BVS, PLM and PLM_P as published and ours; the ``average`` rows are means over the 20 sequences.
- ``ablation_table``: PLM_S / PLM_U / PLM (slides: ablation), published and ours (a variant not run: empty).
- ``headline_table``: mean J and F per method, published vs ours (the README's Results section).
- ``encoder_table``: the encoder as an ablation (ours): mean J and F of each of our PLM variants with the paper's
  architecture (HED VGG-16, frozen; ``results/davis2016_val_hed/``) and with the default network (ImageNet
  EfficientNet-Lite0, trained; ``results/davis2016_val/``).
- ``jumpcut_paper_table``: the slides' JumpCut table (error in %, on the JumpCut dataset), as published.
- ``jumpcut_protocol_table``: our methods under the JumpCut protocol on DAVIS 2016 val (``plm protocol jumpcut``,
  ``results/jumpcut_protocol_on_davis2016/``): per-sequence error in %, not comparable with the paper's table (other
  videos), only the protocol is the same.

Markdown marks, per row, the best value in **bold** and the second best in _italics_, as the slides mark them (red and
blue there); for the JumpCut error the lowest is best. Our columns come from ``<results>/<method>/per_sequence_results.csv`` (written by ``plm evaluate`` /
``plm reproduce``); a method whose folder is missing is left out, and the tables say which were found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plmlib.core.files import atomic_write
from plmlib.core.methods import METHODS, method_label
from plmlib.core.paths import RESULTS_DIR
from plmlib.data import Davis2016
from plmlib.metrics.evaluate import evaluate
from plmlib.published import paper_table

RESULTS = RESULTS_DIR / "davis2016_val"  # the default network's (plmlib.model.release.SHIPPED_NAME)
RESULTS_HED = RESULTS_DIR / "davis2016_val_hed"  # the paper-architecture network's (plm_davis2016)
TABLES = RESULTS_DIR / "tables"  # plm tables --out
JUMPCUT_PROTOCOL = RESULTS_DIR / "jumpcut_protocol_on_davis2016"
JUMPCUT_CAPTION = ("JumpCut protocol (key frame every 16 frames, mask transferred 16 frames ahead, error = 100 x "
                   "mislabelled / foreground pixels, lower is better) run on DAVIS 2016 val, not on the JumpCut "
                   "dataset: not comparable with the paper's JumpCut table.")
PUBLISHED_BASELINES = ("HVS", "NLC", "JMP", "SEA", "BVS")
# Our results in the tables, by results folder, in the tables' order: the methods the paper's table has (BVS and its
# PLM variants), then the results-only folders and ours (labels: plmlib.core.methods, RESULT_LABELS included)
OURS = {m: f"{method_label(m)} (ours)"
        for m in ("bvs", "plm", "plm_p", "plm_u", "plm_u_query_only", "plm_s", "plm_grabcut")}
# the protocols' tables: every method, none of the results-only folders; flow keeps its short name there
PROTOCOL_METHODS = {m: f"{'flow' if m == 'flow' else method_label(m)} (ours)" for m in
                    ("flow", "superpixel", *(m for m in OURS if m in METHODS))}


def our_scores(method: str, results: str | Path = RESULTS) -> pd.DataFrame | None:
    """Long table (sequence, measure, value) of one of our methods, or None when it was not run."""
    path = Path(results) / method / "per_sequence_results.csv"
    if not path.is_file():
        return None
    scores = pd.read_csv(path)
    scores["sequence"] = scores["Sequence"].str.removesuffix("_1")
    long = scores.melt(id_vars="sequence", value_vars=["J-Mean", "F-Mean"], var_name="measure", value_name="value")
    long["measure"] = long["measure"].str[0]
    return long


def _with_ours(table: pd.DataFrame, methods: dict[str, str], results: str | Path) -> pd.DataFrame:
    for method, column in methods.items():
        scores = our_scores(method, results)
        if scores is not None:
            table = table.merge(scores.rename(columns={"value": column}), on=["sequence", "measure"], how="left")
    return table


def _with_average(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[table["sequence"] != "average"]
    average = rows.groupby("measure", sort=False).mean(numeric_only=True).reset_index()
    average.insert(0, "sequence", "average")
    return pd.concat([rows, average], ignore_index=True)


def davis_table(results: str | Path = RESULTS) -> pd.DataFrame:
    """Per-sequence J and F: published baselines, our BVS, PLM and PLM_P published and ours, and our PLM + GrabCut
    (not in the paper) when it was run."""
    paper = paper_table("davis2016_val_per_sequence")
    table = paper[["sequence", "measure", *PUBLISHED_BASELINES]].copy()
    table = _with_ours(table, {"bvs": OURS["bvs"]}, results)
    for variant in ("PLM", "PLM_P"):
        table[f"{variant} (paper)"] = paper[variant].to_numpy()
    table = _with_ours(table, {m: OURS[m] for m in ("plm", "plm_p", "plm_grabcut")}, results)
    return _with_average(table).round(3)


def ablation_table(results: str | Path = RESULTS) -> pd.DataFrame:
    """PLM_S / PLM_U / PLM per sequence, published and ours."""
    paper = paper_table("ablation_davis2016_rows_identified")
    table = paper.rename(columns={v: f"{v} (paper)" for v in ("PLM_S", "PLM_U", "PLM")})
    table = _with_ours(table, {"plm_s": OURS["plm_s"], "plm_u": OURS["plm_u"], "plm": OURS["plm"]}, results)
    table = _with_average(table).round(3)
    n = table.loc[table["sequence"] != "average", "sequence"].nunique()
    # the slides list these sequences only: their mean is not the 20-sequence mean (headline_table has that)
    table["sequence"] = table["sequence"].replace("average", f"average of these {n}")
    return table


def headline_table(results: str | Path = RESULTS) -> pd.DataFrame:
    """Mean J and F of every method, published and ours (global_results.csv), one row per method."""
    rows = []
    paper = paper_table("davis2016_val_per_sequence")
    average = paper[paper["sequence"] == "average"].set_index("measure")
    for name in (*PUBLISHED_BASELINES, "PLM", "PLM_P"):
        rows.append({"method": name, "source": "paper", "J-Mean": average.loc["J", name],
                     "F-Mean": average.loc["F", name]})
    ablation = paper_table("ablation_davis2016_average").set_index("variant")
    for name in ("PLM_S", "PLM_U"):
        rows.append({"method": name, "source": "paper", "J-Mean": ablation.loc[name, "J_mean"],
                     "F-Mean": ablation.loc[name, "F_mean"]})
    for method, column in OURS.items():
        path = Path(results) / method / "global_results.csv"
        if path.is_file():
            scores = pd.read_csv(path).iloc[0]
            rows.append({"method": column.removesuffix(" (ours)"), "source": "ours", "J-Mean": scores["J-Mean"],
                         "F-Mean": scores["F-Mean"]})
    return pd.DataFrame(rows)


def encoder_table(results: str | Path = RESULTS, results_hed: str | Path = RESULTS_HED) -> pd.DataFrame:
    """The encoder as an ablation (ours): one row per PLM variant, mean J and F with the HED VGG-16 network
    (``results_hed``) and with the default ImageNet EfficientNet-Lite0 network (``results``); empty where a
    variant was not run with that network."""
    columns = {"VGG-16 (HED, frozen)": results_hed, "EfficientNet-Lite0 (ImageNet, trained)": results}
    rows = []
    for method, label in OURS.items():
        if method == "bvs":
            continue
        row = {"method": label.removesuffix(" (ours)")}
        for encoder, folder in columns.items():
            path = Path(folder) / method / "global_results.csv"
            scores = pd.read_csv(path).iloc[0] if path.is_file() else {"J-Mean": np.nan, "F-Mean": np.nan}
            row[f"J {encoder}"], row[f"F {encoder}"] = scores["J-Mean"], scores["F-Mean"]
        rows.append(row)
    return pd.DataFrame(rows).round(3)


def jumpcut_paper_table() -> pd.DataFrame:
    """The slides' JumpCut table as published: error in % per JumpCut sequence (RB, DA, SEA, JMP, PLM, PLM_P)."""
    return paper_table("jumpcut_error")


def jumpcut_protocol_table(protocol_results: str | Path = JUMPCUT_PROTOCOL) -> pd.DataFrame | None:
    """Per DAVIS 2016 val sequence, the mean JumpCut error (%) over its transfers of each method found in
    ``protocol_results/<method>.csv`` (written by ``plm protocol jumpcut --dataset davis2016``); the ``average`` row
    is the mean over the sequences every method has (``summary.csv``'s number when all ran on all). None when no
    method was run; an error when the folder holds another dataset's or protocol's results."""
    folder = Path(protocol_results)
    if (folder / "summary.csv").is_file():
        summary = pd.read_csv(folder / "summary.csv")
        if "error_percent" not in summary.columns or set(summary.get("dataset", [])) != {"davis2016"}:
            raise ValueError(f"{folder / 'summary.csv'}: not JumpCut-protocol results on davis2016")
    columns = {}
    for method, column in PROTOCOL_METHODS.items():
        path = folder / f"{method}.csv"
        if path.is_file():
            transfers = pd.read_csv(path)
            if "error" not in transfers.columns:
                raise ValueError(f"{path}: no 'error' column (not JumpCut-protocol transfers)")
            columns[column] = transfers.groupby("sequence")["error"].mean()
    if not columns:
        return None
    table = pd.DataFrame(columns).rename_axis("sequence").reset_index()
    average = table.dropna().mean(numeric_only=True).to_frame().T
    average.insert(0, "sequence", "average")
    return pd.concat([table, average], ignore_index=True).round(2)


def small_benchmark(data_root: str | Path, sequences: list[str], out: str | Path,
                    methods: tuple[str, ...] = ("flow", "bvs"), progress: bool = False) -> pd.DataFrame:
    """The protocol in small, for a class without the full runs: segment ``sequences`` of a DAVIS-layout root with
    each method (``plm segment``'s code), score them (``plm evaluate``'s), return per-sequence J and F per method."""
    from plmlib.infer.run import segment_sequence  # lazy: plmlib.infer imports torch; the tables need none

    dataset = Davis2016(data_root, split="val")
    rows = []
    for method in methods:
        for name in sequences:
            segment_sequence(dataset[name], Path(out) / method / name, method=method, overlay=False, progress=progress)
        evaluation = evaluate(Path(out) / method, dataset.root, sequences=sequences, temporal=False, progress=False,
                              workers=1)
        columns, values = evaluation.sequence_rows()
        for row in values:
            record = dict(zip(columns, row))
            rows.append({"method": method, "sequence": str(record["Sequence"]).removesuffix("_1"),
                         "J": round(float(record["J-Mean"]), 3), "F": round(float(record["F-Mean"]), 3)})
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame, mark_best: bool = True, lower_is_better: bool = False, digits: int = 3,
                published: bool = False) -> str:
    """A Markdown table; per row, among the numeric columns, the best in bold and the second best in italics
    (best: the highest, or the lowest with ``lower_is_better``). Published numbers (columns named "(paper)" or a
    published baseline, or every column with ``published``) are printed as the paper printed them."""
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    for _, row in table.iterrows():
        values = row[numeric].astype(float)
        ranked = sorted({v for v in values if np.isfinite(v)}, reverse=not lower_is_better)
        cells = []
        for column in table.columns:
            value = row[column]
            if column not in numeric:
                cells.append(str(value))
            elif not np.isfinite(float(value)):
                cells.append("")
            else:
                text = f"{float(value):.3f}".rstrip("0").rstrip(".") if published or column.endswith("(paper)") or column in PUBLISHED_BASELINES else f"{float(value):.{digits}f}"
                if mark_best and ranked and value == ranked[0]:
                    text = f"**{text}**"
                elif mark_best and len(ranked) > 1 and value == ranked[1]:
                    text = f"_{text}_"
                cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(results: str | Path, out: str | Path,
                 protocol_results: str | Path = JUMPCUT_PROTOCOL, results_hed: str | Path = RESULTS_HED) -> list[Path]:
    """Write the davis2016_val, ablation, headline, encoder and JumpCut tables as CSV and Markdown; returns the
    paths.

    The JumpCut protocol table is read from ``protocol_results`` and written only when a method was run there."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table, best in (("davis2016_val_per_sequence", davis_table(results), True),
                              ("ablation_davis2016", ablation_table(results), True),
                              ("headline", headline_table(results), False),
                              ("encoder_davis2016", encoder_table(results, results_hed), False)):
        with atomic_write(out / f"{name}.csv") as tmp:
            table.to_csv(tmp, index=False)
        with atomic_write(out / f"{name}.md") as tmp:
            tmp.write_text(to_markdown(table, mark_best=best))
        written += [out / f"{name}.csv", out / f"{name}.md"]
    protocol = jumpcut_protocol_table(protocol_results)
    for name, table, caption, published in (
            ("jumpcut_paper", jumpcut_paper_table(),
             "The slides' JumpCut table as published (JumpCut dataset, error in %, lower is better).", True),
            ("jumpcut_protocol_on_davis2016", protocol, JUMPCUT_CAPTION, False)):
        if table is None:
            continue
        with atomic_write(out / f"{name}.csv") as tmp:
            table.to_csv(tmp, index=False)
        with atomic_write(out / f"{name}.md") as tmp:
            tmp.write_text(caption + "\n\n" + to_markdown(table, lower_is_better=True, digits=2, published=published))
        written += [out / f"{name}.csv", out / f"{name}.md"]
    return written
