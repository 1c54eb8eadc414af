"""Demo content for `manage.py seed`: a sentence bank and its spoken clips (see make_clips.py)."""
