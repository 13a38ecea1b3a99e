//! idp-management's request parsing outside the body (`input::media`): `Accept` negotiation, the body's
//! `Content-Type`, `If-Match`, `returnUpdated`, and the path keys (`input::application_id`, `input::provider_key`).
//! Beyond "no panic": what is chosen is among what is offered; `If-Match` tags written back parse the same;
//! a path key is accepted exactly when it matches the contract's pattern, and comes back unchanged.
#![no_main]

use arbitrary::Arbitrary;
use identity_suite_fuzz::request;
use idp_management::ids::is_key;
use idp_management::input::media::{self, BOTH, JSON};
use idp_management::input::{application_id, provider_key};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    accept: Option<Vec<u8>>,
    content_type: Option<Vec<u8>>,
    if_match: Option<Vec<u8>>,
    query: String,
    key: String,
}

fuzz_target!(|input: Input| {
    keys(&input.key);
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    for (name, value) in [
        ("accept", &input.accept),
        ("content-type", &input.content_type),
        ("if-match", &input.if_match),
    ] {
        if let Some(value) = value {
            headers.push((name, value));
        }
    }
    let Some(req) = request(&input.query, &headers) else {
        return;
    };
    for offered in [BOTH, JSON] {
        if let Ok(media) = media::negotiate(&req, offered) {
            assert!(
                offered.contains(&media),
                "negotiated {media:?} outside {offered:?}"
            );
        }
        if input.accept.is_none() {
            assert_eq!(
                media::negotiate(&req, offered).ok(),
                offered.first().copied()
            );
        }
        match media::content_type(&req, offered) {
            Ok(media) => {
                assert!(offered.contains(&media));
                let raw =
                    String::from_utf8_lossy(input.content_type.as_deref().unwrap_or_default())
                        .into_owned();
                let essence = raw
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                assert_eq!(essence, media.mime(), "{raw:?} read as {media:?}");
            }
            Err(_) => {}
        }
    }
    if let Ok(tags) = media::if_match(&req) {
        let Some(raw) = &input.if_match else {
            assert_eq!(tags, None, "If-Match read from nowhere");
            return;
        };
        let text = std::str::from_utf8(raw).unwrap().trim();
        match tags {
            None => panic!("a present If-Match read as absent"),
            Some(None) => assert_eq!(text, "*"),
            Some(Some(tags)) => {
                assert_eq!(
                    tags.len(),
                    text.split(',').count(),
                    "one tag per list member"
                );
                let written: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
                let again = request("", &[("if-match", written.join(", ").as_bytes())]).unwrap();
                assert_eq!(
                    media::if_match(&again).unwrap(),
                    Some(Some(tags)),
                    "tags written back differ"
                );
            }
        }
    }
    if let Ok(flag) = media::return_updated(&req) {
        // The query as the request has it: a `#` in the fuzzed text starts the fragment, which never arrives.
        let first = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, _)| name == "returnUpdated")
            .map(|(_, value)| value.into_owned());
        assert_eq!(
            first.as_deref().unwrap_or("false"),
            if flag { "true" } else { "false" }
        );
    }
});

fn keys(raw: &str) {
    match provider_key(raw) {
        Ok(key) => {
            assert!(is_key(raw));
            assert_eq!(key.as_str(), raw);
        }
        Err(_) => assert!(!is_key(raw), "{raw:?} matches the pattern but is refused"),
    }
    match application_id("application-id", raw) {
        Ok(id) => assert_eq!(id.as_str(), raw),
        Err(_) => assert!(!is_key(raw)),
    }
}
