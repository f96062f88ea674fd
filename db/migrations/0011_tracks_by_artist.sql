-- The artist view (/tracks?artist=NAME) reads an artist's tracks by exact name: without an index
-- on tracks.artist_name that is a scan of the whole library on every view (a million tracks:
-- hundreds of ms). track_artists holds only counts, and the full-text index
-- (tracks_search_idx) finds words, not one exact name.
CREATE INDEX tracks_artist_name_idx ON tracks (artist_name);
