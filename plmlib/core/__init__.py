"""The bottom layer of plmlib, imported by every other: the VideoSegmenter contract (``segmenter``), the registry of
methods (``methods``), masks as arrays (``masks``), input errors (``errors``), crop geometry (``crops``), config
helpers (``config``), seeding (``seeding``). It imports no other part of plmlib, and nothing heavy (no torch)."""
