DROP TABLE audit_records;
DROP TABLE verification_runs;
DROP TABLE consent_states;
DROP TABLE dedicated_credentials;
DROP TABLE provider_connections;
