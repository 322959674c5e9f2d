-- Applied by hand with psql; keep in sync with the code.
CREATE TABLE IF NOT EXISTS auctions (
  id         bigserial PRIMARY KEY,
  title      text NOT NULL,
  ends_at    timestamptz NOT NULL,
  closed     boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS bids (
  id          bigserial PRIMARY KEY,
  auction_id  bigint NOT NULL REFERENCES auctions(id),
  user_id     text NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents > 0),
  max_cents   integer,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS bids_auction_amount ON bids (auction_id, amount_cents DESC);
