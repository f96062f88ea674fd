"""What is made from the stored plays, inside the import's transaction: ``streams`` (what counts
as a stream, once, in SQL and in words; minutes), ``local_time`` (the listener's zone, local
days' UTC bounds, month steps), ``top_lists`` (daily top lists for the days without Spotify's
own) and ``rollups`` (the listening rollups that queries/listening.py and queries/recap.py
read)."""
