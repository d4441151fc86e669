"""Listener statistics (issue 26): downloads counted by the IAB Podcast Measurement guidelines, private by design.

    identity.py   a listener's address -> a keyed hash (daily salt, destroyed after the window) and a country
    accesslog.py  the access log `studio serve` writes (one JSON line per media or page request)
    report.py     the figures: downloads per episode, day, month, app, country; clip views; radio deliveries

Raw IP addresses are never written to disk by anything in this package.
"""
