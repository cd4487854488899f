-- licensekit on Cloudflare D1: licenses and the append-only purchase log.
-- Apply with: wrangler d1 migrations apply licensekit --remote

-- One row per license. `data` is the license as JSON; the other columns index it.
-- UNIQUE constraints make inserts idempotent: one license per key (any letter case) and per sale.
-- `version` grows with every write, so updates are compare-and-swap (D1 has no BEGIN).
CREATE TABLE licenses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key_index TEXT NOT NULL UNIQUE,
  purchase_source TEXT NOT NULL,
  purchase_id TEXT NOT NULL,
  email TEXT NOT NULL,
  product_id TEXT NOT NULL,
  status TEXT NOT NULL,
  subscription_id TEXT,
  version INTEGER NOT NULL DEFAULT 0,
  data TEXT NOT NULL,
  UNIQUE (purchase_source, purchase_id)
);
CREATE INDEX licenses_by_email ON licenses (email);
CREATE INDEX licenses_by_subscription ON licenses (subscription_id);

-- One row per audit record, in append order (`seq`). `dedupe_key` makes a redelivered event a no-op.
CREATE TABLE purchase_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  license_key TEXT,
  data TEXT NOT NULL
);
CREATE INDEX purchase_log_by_license ON purchase_log (license_key);
