//! identity's Entra External ID custom-extension bodies (`input::entra::parse_submit`,
//! `input::entra::parse_token_start`). Beyond "no panic": the verdict depends on the JSON value only; what is
//! accepted is clean (email valid and trimmed, names trimmed, bounded and printable); a refusal says something.
#![no_main]

use identity::input::entra::{Unread, parse_submit, parse_token_start};
use identity_suite_fuzz::{assert_sign_up, assert_signed_in};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let submit = parse_submit(data);
    match &submit {
        Ok(up) => assert_sign_up(up),
        Err(Unread::Person(err)) => assert!(!err.field.is_empty() && !err.message.is_empty()),
        Err(Unread::Malformed(detail)) => assert!(!detail.is_empty()),
    }
    let token = parse_token_start(data);
    match &token {
        Ok(me) => {
            assert_signed_in(me);
            assert_eq!(
                me.country, None,
                "Entra's token start never carries a country"
            );
        }
        Err(detail) => assert!(!detail.is_empty()),
    }
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let again = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            format!("{submit:?}"),
            format!("{:?}", parse_submit(&again)),
            "submit: same JSON, other verdict"
        );
        assert_eq!(
            token,
            parse_token_start(&again),
            "token start: same JSON, other verdict"
        );
    }
});
