"""Figures: every figure of the course and of the results is drawn by a function here."""

from plmlib.viz.frames import frame_strip

__all__ = ["frame_strip"]
