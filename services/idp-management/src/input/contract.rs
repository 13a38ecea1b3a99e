//! The contract's request schemas as tables for the walker: `ApplicationIdentityProviderInV1` and its parts,
//! with the bounds `specs/idp-management.yaml` gives them (the enumerations are the stored columns' enums).

use super::walker::{Field, Kind, Str, one_of, opt, req, text};
use crate::db::models::{IdpType, Status, Visibility};

/// The key pattern `^[a-zA-Z0-9-_.]{1,64}$`.
const KEY: Str = Str {
    min: 1,
    max: Some(64),
    key_pattern: true,
    one_of: &[],
    secret: false,
};

const SYNC_OPTIONS: &[&str] = &["NEVER", "ONCE", "ALWAYS"];

const ATTRIBUTE: &[Field] = &[req("attribute", Kind::Str(text(1, 256)))];
const NAME_MAPPING: &[Field] = &[
    req("attribute", Kind::Str(text(1, 256))),
    req("syncOption", Kind::Str(one_of(SYNC_OPTIONS))),
];
const CONFIG_ENTRY: &[Field] = &[
    req("type", Kind::Str(text(1, 256))),
    req("value", Kind::Str(text(1, 256))),
];
const OAUTH2: &[Field] = &[
    opt("clientId", Kind::Str(text(0, 256))),
    opt(
        "clientSecret",
        Kind::Str(Str {
            min: 0,
            max: Some(256),
            key_pattern: false,
            one_of: &[],
            secret: true,
        }),
    ),
    opt("authorizeUrl", Kind::Str(text(0, 256))),
    opt("tokenUrl", Kind::Str(text(0, 256))),
    req("userInfoUrl", Kind::Str(text(1, 256))),
    opt("clientIdMapping", Kind::Obj(ATTRIBUTE)),
    req("subjectMapping", Kind::Obj(ATTRIBUTE)),
    opt("usernameMapping", Kind::Obj(ATTRIBUTE)),
    opt("nameMapping", Kind::Obj(NAME_MAPPING)),
];
const OIDC: &[Field] = &[
    req("issuer", Kind::Str(text(1, 256))),
    req("audience", Kind::Str(text(1, 256))),
    opt("usernameMapping", Kind::Obj(ATTRIBUTE)),
    opt("nameMapping", Kind::Obj(NAME_MAPPING)),
];

/// `ApplicationIdentityProviderInV1`: `key`, then the fields of `...InWithoutKeyV1`.
pub const PROVIDER_IN: &[Field] = &[
    req("key", Kind::Str(KEY)),
    req("subjectPoolKey", Kind::Str(KEY)),
    opt("name", Kind::Str(text(0, 64))),
    opt("description", Kind::Str(text(0, 4096))),
    req("type", Kind::Str(one_of(IdpType::NAMES))),
    req("status", Kind::Str(one_of(Status::NAMES))),
    opt("oauth2Config", Kind::Obj(OAUTH2)),
    opt("oidcConfig", Kind::Obj(OIDC)),
    req("visibility", Kind::Str(one_of(Visibility::NAMES))),
    opt(
        "additionalConfigEntries",
        Kind::Arr {
            max: 20,
            item: CONFIG_ENTRY,
        },
    ),
];

/// `ApplicationIdentityProviderInWithoutKeyV1` (the single PUT's body: the key comes from the path).
pub fn provider_in_without_key() -> &'static [Field] {
    PROVIDER_IN.split_first().map_or(&[], |(_key, rest)| rest)
}

/// Most providers one list PUT may carry (extension: the contract sets no bound; this keeps one write's
/// statement within PostgreSQL's bind-parameter limit and its transaction short).
pub const MAX_PROVIDERS: usize = 1000;

/// The revocation extension's body: `jti` of 1 to 256 characters.
pub const MAX_JTI: usize = 256;
