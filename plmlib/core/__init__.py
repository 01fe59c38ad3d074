"""The bottom layer of plmlib, imported by every other: the VideoSegmenter contract (``segmenter``), the registry of
methods (``methods``), masks as arrays (``masks``), input errors (``errors``), crop geometry (``crops``), config
helpers (``config``), seeding (``seeding``), atomic files (``files``), provenance (``provenance``) and the checkout's
folders (``paths``). It imports no other layer of plmlib (``provenance`` reads only ``plmlib.__version__``), and no
torch."""
