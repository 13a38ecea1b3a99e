//! Looking for secrets where they must not be. A secret counts as found in any form text could carry it in:
//! as is, base64 (standard or URL-safe alphabet, padded or not, at any of the three alignments inside a longer
//! encoding), hex (either case) or URL-encoded.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// Shortest base64 fragment looked for (a shorter one would match by chance).
const MIN_FRAGMENT: usize = 8;

/// Every form of `secret` [`Scan::assert_clean`] looks for.
pub fn forms(secret: &[u8]) -> Vec<String> {
    let mut forms = vec![
        String::from_utf8_lossy(secret).into_owned(),
        secret.iter().map(|b| format!("{b:02x}")).collect(),
        secret.iter().map(|b| format!("{b:02X}")).collect(),
        url::form_urlencoded::byte_serialize(secret).collect(),
    ];
    for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        // Inside a longer encoding the secret starts 0, 1 or 2 bytes into a 3-byte group: the characters that
        // depend on its bytes alone start at 0, 2 or 3 and stop 2 before the end.
        for (offset, skip) in [(0usize, 0usize), (1, 2), (2, 3)] {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(secret);
            let encoded = engine.encode(&shifted);
            if offset == 0 {
                forms.push(encoded.clone());
            }
            let end = encoded.len().saturating_sub(2);
            if let Some(fragment) = encoded.get(skip..end)
                && fragment.len() >= MIN_FRAGMENT
            {
                forms.push(fragment.to_owned());
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Everything a test saw (responses, log lines, audit rows, events, raw rows), each with where it came from.
#[derive(Default)]
pub struct Scan {
    places: Vec<(String, String)>,
}

impl Scan {
    /// Adds `text`, seen in `place`.
    pub fn add(&mut self, place: impl Into<String>, text: impl Into<String>) {
        self.places.push((place.into(), text.into()));
    }

    /// Adds a response's status line, headers and body (reading it), returning the body.
    pub async fn response(&mut self, place: &str, response: reqwest::Response) -> String {
        let head = format!("{} {:?}", response.status(), response.headers());
        let body = response.text().await.expect("response body");
        self.add(format!("{place} (headers)"), head);
        self.add(format!("{place} (body)"), body.clone());
        body
    }

    /// How many places were added.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Asserts no place holds anything shaped like a JWT (`eyJ…` `.` `…` `.`): bearer tokens, signed states and
    /// access tokens all are.
    pub fn assert_no_tokens(&self) {
        let hits: Vec<String> = self
            .places
            .iter()
            .filter_map(|(place, text)| jwt_in(text).map(|token| format!("{place}: {token}")))
            .collect();
        assert!(hits.is_empty(), "tokens found:\n{}", hits.join("\n"));
    }

    /// Asserts no form of any of `secrets` (name, value) appears in any place; reports every hit at once.
    pub fn assert_clean(&self, secrets: &[(&str, &[u8])]) {
        let mut hits = Vec::new();
        for (name, secret) in secrets {
            for form in forms(secret) {
                for (place, text) in &self.places {
                    if let Some(at) = text.find(&form) {
                        let from = text.floor_char_boundary(at.saturating_sub(80));
                        let to = text.ceil_char_boundary((at + form.len() + 80).min(text.len()));
                        hits.push(format!(
                            "{name} as {form:?} in {place}: …{}…",
                            &text[from..to]
                        ));
                    }
                }
            }
        }
        assert!(hits.is_empty(), "secrets found:\n{}", hits.join("\n"));
    }
}

/// The first JWT-shaped string of `text`.
fn jwt_in(text: &str) -> Option<&str> {
    let segment = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    text.match_indices("eyJ").find_map(|(at, _)| {
        let rest = text.get(at..)?.as_bytes();
        let mut dots = 0;
        let mut len = 0;
        for &b in rest {
            if b == b'.' {
                dots += 1;
            } else if !segment(b) {
                break;
            }
            len += 1;
        }
        (dots >= 2 && len > 20)
            .then(|| text.get(at..at + len))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_found_inside_a_longer_base64_at_any_alignment() {
        let secret = b"sentinel-secret-value";
        for prefix in ["", "a", "ab", "abc:"] {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(secret);
            text.extend_from_slice(b"-tail");
            let mut scan = Scan::default();
            scan.add("basic", STANDARD_NO_PAD.encode(&text));
            let found = std::panic::catch_unwind(|| scan.assert_clean(&[("s", secret)]));
            assert!(found.is_err(), "prefix {prefix:?}");
        }
        let mut scan = Scan::default();
        scan.add("clean", "nothing to see; eyJ alone is no token");
        scan.assert_no_tokens();
        scan.assert_clean(&[("s", secret)]);
    }
}
