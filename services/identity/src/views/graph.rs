//! The Graph-backed routes' representations: a Graph user in the contract's user-details shape (the Graph SDK's
//! PascalCase serialisation the contract was written from).

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Value, json};

/// A Graph user (camelCase JSON) in the contract's shape: the Graph SDK's PascalCase serialisation, with the
/// contract's own spellings (`Identitites`, `SignIntype`), every key present (null when Graph has no value)
/// and timestamps as `+00:00` offsets.
pub fn user_details_body(user: &Value) -> Value {
    let field = |name: &str| user.get(name).cloned().unwrap_or(Value::Null);
    let time = |name: &str| match user.get(name).and_then(Value::as_str) {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        None => Value::Null,
    };
    let backing = |completed: bool| json!({"InitializationCompleted": completed, "ReturnOnlyChangedValues": false});
    let identities = match user.get("identities") {
        Some(Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| {
                    json!({
                        "AdditionalData": {},
                        "BackingStore": backing(false),
                        "Issuer": item.get("issuer").cloned().unwrap_or(Value::Null),
                        "IssuerAssignedId": item.get("issuerAssignedId").cloned().unwrap_or(Value::Null),
                        "OdataType": Value::Null,
                        "SignIntype": item.get("signInType").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect(),
        ),
        _ => Value::Null,
    };
    let sign_in = match user.get("signInActivity") {
        Some(Value::Object(activity)) => {
            let get = |name: &str| activity.get(name).cloned().unwrap_or(Value::Null);
            json!({
                "AdditionalData": {},
                "BackingStore": backing(true),
                "LastNonInteractiveSignInDateTime": get("lastNonInteractiveSignInDateTime"),
                "LastNonInteractiveSignInRequestId": get("lastNonInteractiveSignInRequestId"),
                "LastSignInDateTime": get("lastSignInDateTime"),
                "LastSignInRequestId": get("lastSignInRequestId"),
                "OdataType": Value::Null,
            })
        }
        _ => Value::Null,
    };
    let mut body = Map::new();
    for (key, value) in [
        ("AccountEnabled", field("accountEnabled")),
        ("BusinessPhones", field("businessPhones")),
        ("City", field("city")),
        ("CompanyName", field("companyName")),
        ("Country", field("country")),
        ("CreatedDateTime", time("createdDateTime")),
        ("Department", field("department")),
        ("DisplayName", field("displayName")),
        ("GivenName", field("givenName")),
        ("Identitites", identities),
        ("JobTitle", field("jobTitle")),
        (
            "LastPasswordChangeDateTime",
            time("lastPasswordChangeDateTime"),
        ),
        ("Mail", field("mail")),
        ("MobilePhone", field("mobilePhone")),
        ("OfficeLocation", field("officeLocation")),
        ("PostalCode", field("postalCode")),
        ("SignInActivity", sign_in),
        (
            "SignInSessionsValidFromDateTime",
            time("signInSessionsValidFromDateTime"),
        ),
        ("State", field("state")),
        ("StreetAddress", field("streetAddress")),
        ("Surname", field("surname")),
        ("UsageLocation", field("usageLocation")),
        ("UserPrincipalName", field("userPrincipalName")),
        ("UserType", field("userType")),
        ("Id", field("id")),
        ("OdataType", json!("#microsoft.graph.user")),
    ] {
        body.insert(key.to_owned(), value);
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_json_becomes_the_contract_shape() {
        let graph = json!({
            "id": "8ecb4bd7-47b4-424c-af07-c85aa0e42d8a",
            "createdDateTime": "2023-07-17T14:20:26Z",
            "identities": [{"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": null}],
            "displayName": "Test User"
        });
        let body = user_details_body(&graph);
        assert_eq!(body["CreatedDateTime"], "2023-07-17T14:20:26+00:00");
        assert_eq!(body["Identitites"][0]["SignIntype"], "federated");
        assert_eq!(
            body["Identitites"][0]["BackingStore"]["InitializationCompleted"],
            false
        );
        assert_eq!(body["SignInActivity"], Value::Null);
        assert_eq!(body["OdataType"], "#microsoft.graph.user");
        assert_eq!(body["Mail"], Value::Null);
        assert_eq!(body.as_object().unwrap().len(), 26);
    }
}
