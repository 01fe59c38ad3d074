"""Errors raised for bad input: they subclass ValueError and always name the file at fault."""


class FrameError(ValueError):
    """A frame or video could not be read, or frames disagree (for example in size)."""


class MaskError(ValueError):
    """A mask could not be read, or does not fit its frame."""
