"""Sound processing before the loudness gain: adaptive leveler, noise and hum reduction (issue 24).

The figures the stage measures are `SoundFigures` (figures.py), kept in the episode's .studio/sound.json
(workspace.layout.SOUND_FILE) and shown by the episode page, the loudness report and `studio status --json`.
"""

from .analysis import ANALYSIS_VERSION, SoundAnalysis, analyze_sound
from .chain import Parts, Plan, figures_of, plan, process_file, processed_analysis, treatment
from .figures import Hum, SoundFigures, read_figures

# Part of every treated rendition's key: raise it when a change to the treatment changes its output.
PROCESSING_VERSION = 3

__all__ = ["ANALYSIS_VERSION", "PROCESSING_VERSION", "Hum", "Parts", "Plan", "SoundAnalysis", "SoundFigures",
           "analyze_sound", "figures_of", "plan", "process_file", "processed_analysis", "read_figures", "treatment"]
