DROP TABLE revoked_tokens;
DROP TABLE identity_providers;
DROP TABLE applications;
