//! idp-management's list and object bodies (`input::media::items` for `application/json` and
//! `application/x-ndjson`, `input::media::object`): never a panic, every failure a 400 naming its line, and what
//! is read written back reads the same.
#![no_main]

use identity_suite_fuzz::same_json;
use idp_management::error::ApiError;
use idp_management::input::media::{self, Media};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => ndjson(body),
        1 => json_list(body),
        _ => object(body),
    }
});

fn same_items(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b))
}

fn ndjson(body: &[u8]) {
    let lines = body
        .split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count();
    match media::items(body, Media::Ndjson) {
        Ok(items) => {
            assert_eq!(items.len(), lines, "one item per non-blank line");
            let mut again = Vec::new();
            for item in &items {
                again.extend(serde_json::to_vec(item).unwrap());
                again.push(b'\n');
            }
            let reread = media::items(&again, Media::Ndjson).unwrap();
            assert!(
                same_items(&items, &reread),
                "NDJSON written back reads differently"
            );
        }
        Err(ApiError::Malformed(details)) => {
            assert!(!details.is_empty());
            let mut last = None;
            for detail in &details {
                let index: usize = detail
                    .field
                    .strip_prefix('[')
                    .and_then(|f| f.strip_suffix(']'))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("detail field {:?} is not [n]", detail.field));
                assert!(index < lines, "detail [{index}] past the {lines} lines");
                assert!(last.is_none_or(|l| l < index), "details out of order");
                last = Some(index);
                assert!(detail.value.is_none(), "a bad line is echoed");
            }
        }
        Err(other) => panic!("NDJSON refused with {other:?}"),
    }
}

fn json_list(body: &[u8]) {
    match media::items(body, Media::Json) {
        Ok(items) => {
            let again = serde_json::to_vec(&Value::Array(items.clone())).unwrap();
            let reread = media::items(&again, Media::Json).unwrap();
            assert!(
                same_items(&items, &reread),
                "a JSON array written back reads differently"
            );
        }
        Err(ApiError::Malformed(details)) => assert_eq!(details.len(), 1),
        Err(other) => panic!("a JSON list refused with {other:?}"),
    }
}

fn object(body: &[u8]) {
    match media::object(body) {
        Ok(value) => {
            assert!(value.is_object());
            let reread = media::object(&serde_json::to_vec(&value).unwrap()).unwrap();
            assert!(
                same_json(&value, &reread),
                "an object written back reads differently"
            );
        }
        Err(ApiError::Malformed(details)) => assert_eq!(details.len(), 1),
        Err(other) => panic!("an object refused with {other:?}"),
    }
}
