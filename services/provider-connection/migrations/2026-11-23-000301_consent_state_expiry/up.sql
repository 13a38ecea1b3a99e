-- The worker's sweep deletes consent states a day after they expire (used or not); this index serves it.
CREATE INDEX consent_states_expires ON consent_states (expires_at);
