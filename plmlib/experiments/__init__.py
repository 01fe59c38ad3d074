"""The experiments: runs over whole datasets whose results are committed under ``results/``.

``reproduce`` (the paper's PLM variants on DAVIS 2016 val, ``plm reproduce``), ``ablation`` (the paper's ablation
grid, ``plm ablation``), ``protocols`` (SegTrack and JumpCut protocols on any DAVIS-layout data, ``plm protocol``),
``tables`` (the benchmark tables from the committed results, ``plm tables``). Each is resumable: a video whose
outputs are complete is not run again.
"""
