"""The web UI (Gradio): app.py builds the page over render(); session.py (drafts, live renders, sizes, download
names), batch.py and history.py hold the Batch and History tabs. No pipeline logic here."""
