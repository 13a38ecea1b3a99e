//! identity's Azure AD B2C API-connector bodies (`input::b2c::parse_sign_up`, `input::b2c::parse_token`).
//! Beyond "no panic": the verdict depends on the JSON value only (the same body re-serialised gets the same
//! answer); what is accepted is clean (client id a GUID, email valid and trimmed, names trimmed, bounded and
//! printable); a refusal names a field and says something.
#![no_main]

use identity::input::b2c::{parse_sign_up, parse_token};
use identity::input::connector::{Invalid, SignUp, SignedIn};
use identity_suite_fuzz::{assert_sign_up, assert_signed_in};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn refused(err: &Invalid) {
    assert!(
        !err.field.is_empty() && !err.message.is_empty(),
        "an empty refusal: {err:?}"
    );
}

fn sign_up(result: &Result<SignUp, Invalid>) {
    match result {
        Ok(up) => {
            uuid::Uuid::try_parse(&up.client_id).expect("an accepted client_id is not a GUID");
            assert_eq!(up.client_id, up.client_id.trim());
            assert_sign_up(up);
        }
        Err(err) => refused(err),
    }
}

fn signed_in(result: &Result<SignedIn, Invalid>) {
    match result {
        Ok(me) => assert_signed_in(me),
        Err(err) => refused(err),
    }
}

fuzz_target!(|data: &[u8]| {
    let up = parse_sign_up(data);
    let token = parse_token(data);
    sign_up(&up);
    signed_in(&token);
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let again = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            format!("{up:?}"),
            format!("{:?}", parse_sign_up(&again)),
            "sign-up: same JSON, other verdict"
        );
        assert_eq!(
            token,
            parse_token(&again),
            "token: same JSON, other verdict"
        );
    }
});
