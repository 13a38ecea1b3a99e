//! Gap and reorder detection from the `subjectversion` extension attribute: +1 per change of a subject, so the
//! version an event carries says whether anything about its subject came before it unseen.

use uuid::Uuid;

/// Where an event's version stands against the last version seen for its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    /// The event carries no version (publishers do not set it yet): nothing to check.
    Unversioned,
    /// The first version seen for the subject: the baseline. Not a gap, because what came before may predate
    /// the subscriber (or the stream's retention).
    First,
    /// Exactly the next version.
    Next,
    /// Versions between were never seen: `expected` is the one that should have come.
    Gap { expected: i64 },
    /// At or below the last version seen: a late or repeated event whose change is already superseded.
    Stale { last: i64 },
}

impl Sequence {
    /// Classifies `version` against `last`, the last version recorded for the subject.
    pub fn classify(last: Option<i64>, version: i64) -> Self {
        match last {
            None => Self::First,
            Some(last) if version <= last => Self::Stale { last },
            Some(last) if Some(version) == last.checked_add(1) => Self::Next,
            Some(last) => Self::Gap {
                expected: last.saturating_add(1),
            },
        }
    }
}

/// A gap in a subject's versions, reported to the `on_gap` callback and the `subscriber_gaps_total` metric.
/// The event was processed; the versions from `expected` up to `received - 1` were never seen (lost, dead-lettered,
/// published before the queue was bound, or past the stream's retention), so the subscriber may want to
/// resynchronise this subject from the publisher's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub event_id: Uuid,
    pub event_type: String,
    pub source: String,
    pub subject: String,
    /// The version that should have come next.
    pub expected: i64,
    /// The version that came.
    pub received: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_versions_against_the_last_seen() {
        assert_eq!(Sequence::classify(None, 7), Sequence::First);
        assert_eq!(Sequence::classify(Some(1), 2), Sequence::Next);
        assert_eq!(
            Sequence::classify(Some(2), 4),
            Sequence::Gap { expected: 3 }
        );
        assert_eq!(Sequence::classify(Some(4), 4), Sequence::Stale { last: 4 });
        assert_eq!(Sequence::classify(Some(4), 3), Sequence::Stale { last: 4 });
        assert_eq!(
            Sequence::classify(Some(i64::MAX), i64::MAX),
            Sequence::Stale { last: i64::MAX }
        );
    }
}
