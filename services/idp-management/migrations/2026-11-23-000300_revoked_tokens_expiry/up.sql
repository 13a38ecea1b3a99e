-- Housekeeping of the revocation list deletes by expiry; served by this index.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at) WHERE expires_at IS NOT NULL;
