//! AMQP topic matching, as RabbitMQ's topic exchange does it: keys are words separated by `.`, a pattern word
//! `*` stands for exactly one word, `#` for zero or more, and any other word (including `a*`) only for itself.

/// Whether `routing_key` matches the topic `pattern`.
///
/// Linear in `pattern words × key words` (a running set of how many key words the pattern so far can cover),
/// so patterns with many `#` cannot blow up.
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    let words: Vec<&str> = routing_key.split('.').collect();
    // reach[j]: the pattern words seen so far can match exactly the first j words of the key.
    let mut reach: Vec<bool> = std::iter::once(true)
        .chain(words.iter().map(|_| false))
        .collect();
    for token in pattern.split('.') {
        reach = match token {
            "#" => reach
                .iter()
                .scan(false, |any, &r| {
                    *any = *any || r;
                    Some(*any)
                })
                .collect(),
            "*" => std::iter::once(false)
                .chain(reach.iter().take(words.len()).copied())
                .collect(),
            literal => std::iter::once(false)
                .chain(
                    reach
                        .iter()
                        .zip(&words)
                        .map(|(&r, &word)| r && word == literal),
                )
                .collect(),
        };
        if !reach.contains(&true) {
            return false;
        }
    }
    reach.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

    #[test]
    fn a_literal_pattern_matches_only_the_same_key() {
        assert!(topic_matches(
            "identity.user.created.v1",
            "identity.user.created.v1"
        ));
        assert!(!topic_matches(
            "identity.user.created.v1",
            "identity.user.deleted.v1"
        ));
        assert!(!topic_matches("identity.user", "identity.user.created.v1"));
        assert!(!topic_matches(
            "identity.user.created.v1.x",
            "identity.user.created.v1"
        ));
    }

    #[test]
    fn star_is_exactly_one_word() {
        assert!(topic_matches(
            "identity.*.created.v1",
            "identity.user.created.v1"
        ));
        assert!(topic_matches("*.*.*.*", "identity.user.created.v1"));
        assert!(!topic_matches("identity.*.v1", "identity.user.created.v1"));
        assert!(!topic_matches("identity.*", "identity"));
        assert!(!topic_matches("*.identity", "identity"));
        assert!(topic_matches("*", "identity"));
        assert!(!topic_matches("*", "identity.user"));
    }

    #[test]
    fn hash_is_zero_or_more_words() {
        assert!(topic_matches("#", "identity.user.created.v1"));
        assert!(topic_matches("#", "x"));
        assert!(topic_matches("identity.#", "identity.user.created.v1"));
        assert!(topic_matches("identity.#", "identity"), "zero words");
        assert!(topic_matches("#.v1", "identity.user.created.v1"));
        assert!(topic_matches("#.v1", "v1"));
        assert!(!topic_matches("#.v2", "identity.user.created.v1"));
        assert!(topic_matches("identity.#.v1", "identity.v1"));
        assert!(topic_matches("identity.#.v1", "identity.user.created.v1"));
        assert!(!topic_matches(
            "identity.#.v1",
            "idp-management.provider.put.v1"
        ));
        assert!(topic_matches("#.created.#", "identity.user.created.v1"));
        assert!(topic_matches("#.#", "a"));
        assert!(topic_matches("#.*", "a"));
        assert!(!topic_matches("#.*.*", "a"));
    }

    #[test]
    fn wildcards_inside_a_word_are_literal() {
        assert!(!topic_matches(
            "identity.us*.created.v1",
            "identity.user.created.v1"
        ));
        assert!(topic_matches(
            "identity.us*.created.v1",
            "identity.us*.created.v1"
        ));
        assert!(!topic_matches("identity.user#", "identity.user.created.v1"));
    }

    #[test]
    fn many_hashes_stay_fast() {
        let pattern = std::iter::repeat_n("#.a", 60).collect::<Vec<_>>().join(".") + ".b";
        let key = std::iter::repeat_n("a", 120).collect::<Vec<_>>().join(".");
        let started = std::time::Instant::now();
        assert!(!topic_matches(&pattern, &key));
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
    }
}
