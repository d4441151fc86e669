"""Publishing: what listeners and stations get. The public target (feeds, media, transcripts, clips, the
listener site) and the private radio target (broadcast files and their manifest), each a folder or an S3
prefix, written in phases so a feed never names a missing object; `studio serve` answers both.
"""

from .due import publish_due
from .run import PublishReport, publish

__all__ = ["PublishReport", "publish", "publish_due"]
