"""The experiments: runs over whole datasets whose results are committed under ``results/``.

``reproduce`` (the paper's PLM variants on DAVIS 2016 val, ``plm reproduce``), ``ablation`` (the paper's ablation
grid, ``plm ablation``), ``protocols`` (SegTrack and JumpCut protocols on any DAVIS-layout data, ``plm protocol``),
``tables`` (the benchmark tables from the committed results, ``plm tables``). The first three run through ``runner``,
the one resumable runner (sequences checked first, a video whose outputs are complete not run again, one first-frame
fine-tuning shared by the PLM variants of a video); each says what it runs on a video and how it scores.
"""
