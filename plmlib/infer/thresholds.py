"""Every probability level of PLM's inference in one place, and how they relate (slides, step (h), and ours).

    DEFAULT_THRESHOLD        0.5   the output mask, for a network fine-tuned from scratch on the first frame (paper
                                   README: "thresholded (0.5 to start)")
    PLM_THRESHOLD            0.3   the output mask, for a pre-trained network (ours: a pre-trained network fine-tuned
                                   on an object it never saw is under-confident)
    BOX_THRESHOLD            0.2   ours: the tracked box is measured on the map thresholded here, where it is below
                                   the output's, so that weak parts of the object keep the windows on it
    GRABCUT_SURE_FOREGROUND  0.7   ours: GrabCut may not change pixels above this (plmlib.infer.grabcut)
    GRABCUT_SURE_BACKGROUND  0.05  ours: ... nor pixels below this

They hold ``GRABCUT_SURE_BACKGROUND < BOX_THRESHOLD < PLM_THRESHOLD < DEFAULT_THRESHOLD < GRABCUT_SURE_FOREGROUND``
(tests/test_infer_steps.py; GrabCut's levels are also checked against the output threshold in use when a segmenter is
built). The measurements behind the values: results/defaults/README.md.
"""

DEFAULT_THRESHOLD = 0.5
PLM_THRESHOLD = 0.3
BOX_THRESHOLD = 0.2
GRABCUT_SURE_FOREGROUND = 0.7
GRABCUT_SURE_BACKGROUND = 0.05
