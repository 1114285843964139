"""The web UI (Gradio): app.py builds the page over render(); no pipeline logic here."""
