//! provider-connection's admin-consent `state` (`consent::StateSigner`): the HS256 token the link signs and the
//! callback checks. Beyond "no panic": a state signed for a connection checks to exactly the claims it was made
//! with while it is valid and as expired after; a tampered state never checks to other claims; anything accepted
//! has not expired.
#![no_main]

use arbitrary::Arbitrary;
use identity_suite_fuzz::{now, tamper};
use libfuzzer_sys::fuzz_target;
use provider_connection::consent::{StateClaims, StateSigner};
use provider_connection::ids::ConnectionId;
use security::jwt::JwtError;
use std::sync::LazyLock;
use uuid::Uuid;

static SIGNER: LazyLock<StateSigner> =
    LazyLock::new(|| StateSigner::new("fuzz-consent-state-secret-0123456789", 600).unwrap());

#[derive(Arbitrary, Debug)]
enum Input {
    Forged(String),
    Signed {
        connection: i64,
        app: String,
        nonce: u128,
        expires_in: i32,
        tamper: Option<(u16, u8)>,
    },
}

fn same(a: &StateClaims, b: &StateClaims) -> bool {
    a.cid == b.cid && a.app == b.app && a.nonce == b.nonce && a.exp == b.exp
}

fn valid_now(claims: &StateClaims) {
    assert!(
        claims.exp >= now() - 1,
        "an expired state is accepted: {claims:?}"
    );
}

fuzz_target!(|input: Input| match input {
    Input::Forged(state) => {
        if let Ok(claims) = SIGNER.check(&state) {
            valid_now(&claims);
        }
    }
    Input::Signed {
        connection,
        app,
        nonce,
        expires_in,
        tamper: change,
    } => {
        let Ok(id) = ConnectionId::parse("connection", &connection.to_string()) else {
            return;
        };
        let claims = StateClaims::new(
            id,
            app,
            Uuid::from_u128(nonce),
            now() + i64::from(expires_in),
        );
        let state = SIGNER.sign(&claims).unwrap();
        let checked = SIGNER.check(&state);
        if expires_in >= 2 {
            let got = checked.unwrap_or_else(|e| panic!("a fresh state is refused: {e:?}"));
            assert!(same(&got, &claims), "{got:?} is not {claims:?}");
        } else if expires_in <= -2 {
            // An `exp` before 1970 is no `NumericDate` (jsonwebtoken reads it unsigned): refused as malformed.
            let expected = if claims.exp >= 0 {
                JwtError::Expired
            } else {
                JwtError::Malformed
            };
            assert_eq!(checked.err(), Some(expected));
        }
        if let Some(tampered) = change.and_then(|(at, xor)| tamper(&state, at, xor)) {
            if let Ok(got) = SIGNER.check(&tampered) {
                assert!(
                    same(&got, &claims),
                    "a tampered state checks to other claims: {got:?}"
                );
                valid_now(&got);
            }
        }
    }
});
