"""Listener statistics (issue 26): downloads counted by the IAB Podcast Measurement guidelines, private by design.

    identity.py   a listener's address -> a keyed hash (daily salt, destroyed after the window), country, data centre
    lists.py      OPAWG's user-agent lists and the data-centre ranges (studio/data/stats/), `update-lists`
    readers.py    one parser per log format: Studio's access log, S3, CloudFront, nginx/Apache combined
    importer.py   where to start reading a log, so that a log read twice counts once
    sums.py       running sums per listener, clip and reason, one request at a time
    counting.py   a counting pass: logs read, thresholds, windows closed and counted for good
    parts.py      logs read in parts, counted by one process per core
    store.py      the counts database (.studio/stats/counts.sqlite3)
    report.py     the figures: downloads per episode, day, month, app, country; clip views; radio deliveries

`studio serve`'s access log writer is the serve side's (it calls identity.Anonymizer for every request). Raw IP
addresses are never written to disk by anything in this package. docs/statistics.md says what is counted and kept.
"""
