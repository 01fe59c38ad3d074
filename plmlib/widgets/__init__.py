"""Interactive mask propagation in JupyterLab: a controller (:class:`PropagationSession`, plain Python, tested
directly) and a thin ipywidgets view on it (:class:`plmlib.widgets.view.PropagationView`).

    from plmlib.widgets import PropagationSession, show
    session = PropagationSession.from_sequence(video, method="flow")
    show(session)          # the widget; a static figure with a message where widgets are unavailable
"""

from plmlib.widgets.session import ERROR_COLOURS, OVERLAY_MODES, PropagationSession


def show(session: PropagationSession, **options):
    """The interactive view of ``session`` (display it as a cell's last expression); if ipywidgets or anywidget is
    missing, print why and return the static figure instead."""
    try:
        from plmlib.widgets.view import PropagationView  # lazy: needs ipywidgets, which may be missing
    except ImportError as err:
        from plmlib.widgets.static import static_figure  # lazy: only where the widget cannot be shown

        print(f"interactive widget unavailable ({err}); pip install 'plmlib[notebooks]'. Showing a static figure.")
        return static_figure(session)
    return PropagationView(session, **options)


__all__ = ["ERROR_COLOURS", "OVERLAY_MODES", "PropagationSession", "show"]
