"""What the episode page shows and changes: the page's data read once (page), `studio status` (status),
a producer's edits to metadata, highlights and cues (edits), the loudness report (loudness_report), what
the sound processing found (sound) and the waveform's peaks (peaks)."""
