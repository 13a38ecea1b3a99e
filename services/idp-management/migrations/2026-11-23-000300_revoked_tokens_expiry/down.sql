DROP INDEX revoked_tokens_expires_at;
