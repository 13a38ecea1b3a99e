//! `mint-jwt`: signs an HS256 token for local development, so a developer (and `deploy/local/up.sh`) can call
//! the JWT-protected services without an identity provider.
//!
//! `mint-jwt --secret S --kid K --iss I --aud A --ttl-secs N --claims '<json object>'` prints the token.
//! `iat`, `nbf` (now), `exp` (now + N), `iss` and `aud` are set; `--claims` adds or overrides the rest.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

const USAGE: &str =
    "usage: mint-jwt --secret S --kid K --iss I --aud A --ttl-secs N [--claims '<json object>']";

struct Args {
    secret: String,
    kid: String,
    iss: String,
    aud: String,
    ttl: u64,
    claims: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Args")
            .field("kid", &self.kid)
            .field("iss", &self.iss)
            .finish_non_exhaustive()
    }
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let (mut secret, mut kid, mut iss, mut aud, mut ttl, mut claims) =
        (None, None, None, None, None, None);
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        match flag.as_str() {
            "--secret" => secret = Some(value),
            "--kid" => kid = Some(value),
            "--iss" => iss = Some(value),
            "--aud" => aud = Some(value),
            "--ttl-secs" => {
                ttl = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| "--ttl-secs must be a number".to_owned())?,
                )
            }
            "--claims" => {
                let v: serde_json::Value = serde_json::from_str(&value)
                    .map_err(|e| format!("--claims is not JSON: {e}"))?;
                match v {
                    serde_json::Value::Object(m) => claims = Some(m),
                    _ => return Err("--claims must be a JSON object".to_owned()),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let need = |v: Option<String>, name: &str| v.ok_or_else(|| format!("{name} is required"));
    Ok(Args {
        secret: need(secret, "--secret")?,
        kid: need(kid, "--kid")?,
        iss: need(iss, "--iss")?,
        aud: need(aud, "--aud")?,
        ttl: ttl.ok_or("--ttl-secs is required")?,
        claims: claims.unwrap_or_default(),
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mint-jwt: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), args.iss.into());
    claims.insert("aud".into(), args.aud.into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), now.saturating_add(args.ttl).into());
    claims.extend(args.claims);
    match security::jwt::mint_hs256(&args.secret, &args.kid, &serde_json::Value::Object(claims)) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mint-jwt: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn parses_every_flag() {
        let a = parse(&argv(&[
            "--secret",
            "s",
            "--kid",
            "k",
            "--iss",
            "i",
            "--aud",
            "a",
            "--ttl-secs",
            "60",
            "--claims",
            r#"{"application":"app"}"#,
        ]))
        .unwrap();
        assert_eq!(
            (
                a.secret.as_str(),
                a.kid.as_str(),
                a.iss.as_str(),
                a.aud.as_str(),
                a.ttl
            ),
            ("s", "k", "i", "a", 60)
        );
        assert_eq!(a.claims["application"], "app");
    }

    #[test]
    fn refuses_missing_or_bad_values() {
        assert!(
            parse(&argv(&["--secret", "s"]))
                .unwrap_err()
                .contains("--kid")
        );
        assert!(
            parse(&argv(&["--ttl-secs", "x"]))
                .unwrap_err()
                .contains("number")
        );
        assert!(
            parse(&argv(&["--claims", "[1]"]))
                .unwrap_err()
                .contains("object")
        );
        assert!(
            parse(&argv(&["--bogus", "1"]))
                .unwrap_err()
                .contains("unknown")
        );
        assert!(
            parse(&argv(&["--secret"]))
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
