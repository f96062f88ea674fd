"""What counts as listening, defined once for every figure made from plays: a *stream* is a play
of at least STREAM_MS milliseconds not in incognito mode, and its *day* is the local date of its
end (the export's ts) in MTM_TIMEZONE (db.local_time). The README states the same rule."""

STREAM_MS = 30_000
