DROP INDEX consent_states_expires;
