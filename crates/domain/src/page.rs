//! Offset paging as the contracts define it (`limit`, `offset`), with bounds the contracts left open, and the
//! keyset extension (`after`): the sort key of the last row of the previous page.

use crate::FieldError;

/// A validated window into an ordered list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// Page size when the caller names none.
    pub const DEFAULT_LIMIT: i64 = 100;
    /// Largest page a caller may ask for: keeps every response bounded.
    pub const MAX_LIMIT: i64 = 1000;
    /// Offsets are int32 in the contract's spirit; larger ones are refused rather than silently clamped.
    pub const MAX_OFFSET: i64 = i32::MAX as i64;

    /// Parses the raw query values; absent means default, anything else must be an in-range integer.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, FieldError> {
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(raw) => parse_bounded("limit", raw, Self::MAX_LIMIT)?,
        };
        let offset = match offset {
            None => 0,
            Some(raw) => parse_bounded("offset", raw, Self::MAX_OFFSET)?,
        };
        Ok(Self { limit, offset })
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A page of a keyset-ordered list: the offset window, and the sort key the page starts after (`after`; then
/// `page.offset` is 0). `after: None` is the offset paging of the contract, unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging<K> {
    pub page: Page,
    pub after: Option<K>,
}

impl<K> Paging<K> {
    /// Offset paging only (no `after`).
    pub fn offset(page: Page) -> Self {
        Self { page, after: None }
    }

    /// Whether `returned` rows fill the page, so there may be a next one (never for `limit` 0).
    pub fn is_full(&self, returned: usize) -> bool {
        self.page.limit > 0 && i64::try_from(returned).is_ok_and(|n| n >= self.page.limit)
    }
}

impl<K> Default for Paging<K> {
    fn default() -> Self {
        Self::offset(Page::default())
    }
}

fn parse_bounded(field: &str, raw: &str, max: i64) -> Result<i64, FieldError> {
    let value: i64 = raw.trim().parse().map_err(|_| {
        FieldError::new(
            field,
            format!("must be a non-negative integer (got {raw:?})"),
        )
    })?;
    if !(0..=max).contains(&value) {
        return Err(FieldError::new(
            field,
            format!("must be between 0 and {max} (got {value})"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_absent() {
        assert_eq!(Page::parse(None, None).unwrap(), Page::default());
    }

    #[test]
    fn accepts_bounds() {
        let page = Page::parse(Some("1000"), Some("0")).unwrap();
        assert_eq!((page.limit, page.offset), (1000, 0));
        assert_eq!(Page::parse(Some("0"), None).unwrap().limit, 0);
    }

    #[test]
    fn rejects_negative_non_numeric_and_oversized() {
        for (limit, offset, field) in [
            (Some("-1"), None, "limit"),
            (Some("abc"), None, "limit"),
            (Some("1.5"), None, "limit"),
            (Some("1001"), None, "limit"),
            (None, Some("-5"), "offset"),
            (None, Some("99999999999"), "offset"),
            (None, Some(""), "offset"),
        ] {
            let err = Page::parse(limit, offset).unwrap_err();
            assert_eq!(err.field, field, "{limit:?} {offset:?}");
        }
    }
}
