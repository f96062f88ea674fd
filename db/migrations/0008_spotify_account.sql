-- The connected Spotify account (one: this is one listener's app). The refresh token lives here,
-- in the database, because the daily sync runs wherever the database is reachable (the app, a
-- cron job, a GitHub Actions workflow) and Spotify may hand out a new refresh token at every
-- refresh, which whoever refreshed must store for the next run. No access token is kept.
-- sync_holder/sync_expires_at: a lease, so that two syncs never refresh the token at once (the
-- loser would be left with a refresh token Spotify had just replaced); plain rows, so it holds
-- behind transaction poolers, and a run whose process died frees it when the lease runs out.
CREATE TABLE spotify_account (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    refresh_token   text NOT NULL,
    scope           text NOT NULL,
    user_id         text,
    display_name    text,
    connected_at    timestamptz NOT NULL DEFAULT now(),
    last_sync_at    timestamptz,
    sync_holder     text,
    sync_expires_at timestamptz
);

-- Connections begun on the Data page and not yet finished: Spotify sends the browser back to a
-- new Streamlit session (often in another tab), so the PKCE verifier waits here, keyed by a
-- hash of the state sent with it; single use, and only for a few minutes.
CREATE TABLE spotify_pending (
    state_hash    text PRIMARY KEY,
    code_verifier text NOT NULL,
    redirect_uri  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A sync replaces the day's list of each time range: ranks that fell off it since an earlier
-- sync that day are removed, and counted.
ALTER TABLE imports ADD COLUMN snapshots_removed integer NOT NULL DEFAULT 0;
