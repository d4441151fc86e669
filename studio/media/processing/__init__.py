"""Sound processing before the loudness gain: adaptive leveler, noise and hum reduction (issue 24).

The figures the stage measures are `SoundFigures` (figures.py), kept in the episode's .studio/sound.json
(workspace.layout.SOUND_FILE) and shown by the episode page, the loudness report and `studio status --json`.
"""

from .figures import SoundFigures, read_figures

__all__ = ["SoundFigures", "read_figures"]
