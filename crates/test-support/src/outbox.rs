//! The outbox rows of a service's test database, as the events the relay publishes verbatim: for tests that
//! look at what a change wrote before (or without) a subscriber.

use persistence::Pool;
use serde_json::Value;

/// Every outbox envelope, in outbox order.
pub async fn envelopes(pool: &Pool) -> Vec<Value> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use persistence::outbox::outbox;
    let mut conn = pool.get().await.expect("a connection to the test database");
    outbox::table
        .order(outbox::seq)
        .select(outbox::envelope)
        .load::<Value>(&mut conn)
        .await
        .expect("the outbox reads")
}

/// [`envelopes`], each checked against the catalogue.
pub async fn catalogued(pool: &Pool) -> Vec<Value> {
    let events = envelopes(pool).await;
    events.iter().for_each(crate::catalogue::assert_valid);
    events
}
