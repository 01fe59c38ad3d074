"""Figures: every figure of the course and of the results is drawn by a function here."""
