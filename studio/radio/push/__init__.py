"""Pushing broadcast files into a station's playout system (issue 25): AzuraCast, LibreTime, a Rivendell drop box.

    base.py        what every kind is given (PushItem) and gives back (Remote), its errors; the Pusher protocol
    azuracast.py   AzuraCast's API (X-API-Key; Flow chunked upload; metadata with cue points; a one-off playlist)
    libretime.py   LibreTime's API (Api-Key; /rest/media; a show instance and /api/v2/schedule)
    client.py      HTTP for the API kinds (urllib): retries with backoff, one-line PushErrors; the resume journal
    rivendell.py   files written atomically into a drop folder with a name rdimport's wildcards read
    run.py         which files go to which station, the delivery record, retries, the delivery log (`studio radio push`)
"""
