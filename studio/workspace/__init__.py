"""The workspace on disk: its folders and typed settings, the shows, the episodes and what each stage
recorded of them (state, lock, index), the transcript files, users, audit log and approvals.

Everything above this layer reads and writes an episode through here; nothing here runs ffmpeg or a model.
"""

from .config import Settings, Show
from .episode import Episode
from .tree import Workspace, init_workspace

__all__ = ["Episode", "Settings", "Show", "Workspace", "init_workspace"]
