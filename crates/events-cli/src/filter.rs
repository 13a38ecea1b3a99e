//! `--type` and `--subject`: which events are shown.

use crate::pattern::topic_matches;

/// The events wanted: any of the type patterns (AMQP topic patterns over the routing key, which is the
/// CloudEvent `type`; none given means every type) and, if given, exactly this subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub types: Vec<String>,
    pub subject: Option<String>,
}

impl Filter {
    /// The binding keys of a live queue: the type patterns, once each, or `#` for everything.
    pub fn binding_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for pattern in &self.types {
            if !keys.contains(pattern) {
                keys.push(pattern.clone());
            }
        }
        if keys.is_empty() {
            keys.push("#".to_owned());
        }
        keys
    }

    /// Whether an event with this routing key and subject (none if the body is no CloudEvent) is wanted.
    pub fn accepts(&self, routing_key: &str, subject: Option<&str>) -> bool {
        let type_ok = self.types.is_empty()
            || self
                .types
                .iter()
                .any(|pattern| topic_matches(pattern, routing_key));
        let subject_ok = self
            .subject
            .as_deref()
            .is_none_or(|wanted| subject == Some(wanted));
        type_ok && subject_ok
    }
}

/// Checks a `--type` pattern is usable as a binding key (an AMQP short string: at most 255 bytes).
pub fn parse_pattern(text: &str) -> Result<String, String> {
    if text.len() > 255 {
        return Err(format!(
            "a type pattern is at most 255 bytes, this one is {}",
            text.len()
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(types: &[&str], subject: Option<&str>) -> Filter {
        Filter {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            subject: subject.map(str::to_owned),
        }
    }

    #[test]
    fn no_filter_takes_everything_and_binds_hash() {
        let all = Filter::default();
        assert!(all.accepts("identity.user.created.v1", Some("u1")));
        assert!(all.accepts("anything", None));
        assert_eq!(all.binding_keys(), ["#"]);
    }

    #[test]
    fn any_type_pattern_may_match() {
        let some = filter(
            &["identity.user.*.v1", "#.revoked.v1", "identity.user.*.v1"],
            None,
        );
        assert_eq!(some.binding_keys(), ["identity.user.*.v1", "#.revoked.v1"]);
        assert!(some.accepts("identity.user.created.v1", Some("u1")));
        assert!(some.accepts("identity.assignment.revoked.v1", Some("a1")));
        assert!(!some.accepts("identity.group.created.v1", Some("g1")));
    }

    #[test]
    fn the_subject_must_be_exactly_the_one_asked_for() {
        let one = filter(&["identity.#"], Some("u1"));
        assert!(one.accepts("identity.user.created.v1", Some("u1")));
        assert!(!one.accepts("identity.user.created.v1", Some("u10")));
        assert!(!one.accepts("identity.user.created.v1", None));
        assert!(!one.accepts("idp-management.provider.put.v1", Some("u1")));
    }

    #[test]
    fn a_pattern_longer_than_a_short_string_is_refused() {
        assert!(parse_pattern(&"a".repeat(255)).is_ok());
        assert!(parse_pattern(&"a".repeat(256)).is_err());
    }
}
