"""What counts as listening, defined once for every figure made from plays: a *stream* is a play
of at least STREAM_MS milliseconds not in incognito mode, and its *day* is the local date of its
end (the export's ts) in MTM_TIMEZONE (db.derive.local_time).

IS_STREAM is the rule in SQL, for a row of ``plays`` (every query that counts streams uses it);
STREAM_RULE is the rule in words, for the pages' captions."""

STREAM_MS = 30_000
# The plays the share skipped counts: any length, not in incognito mode.
IS_COUNTED = "incognito IS NOT TRUE"
IS_STREAM = f"(ms_played >= {STREAM_MS} AND {IS_COUNTED})"
STREAM_RULE = f"a play of at least {STREAM_MS // 1000} s not in incognito mode"

MS_PER_MINUTE = 60_000


def minutes(ms):
    """Minutes from milliseconds, as the pages show time listened: of one number, or of a pandas
    column (whose sums may come as integers or decimals)."""
    if hasattr(ms, "astype"):
        return ms.astype("float64") / MS_PER_MINUTE
    return float(ms) / MS_PER_MINUTE
