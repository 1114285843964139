"""Xiaonuan's web UI: `python app.py` (same as `xiaonuan ui`). The app lives in xiaonuan.ui.app; no logic here."""

from xiaonuan.ui.app import launch

if __name__ == "__main__":
    launch()
