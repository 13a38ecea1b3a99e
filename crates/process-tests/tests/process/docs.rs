//! docs/CONFIGURATION.md names every setting of every service, so an operator never meets an undocumented one.

use config::{Config, File, FileFormat};
use serde_json::Value;
use std::path::PathBuf;

fn leaves(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        // A map of key ids (secrets.keys) is one setting; so is a list.
        Value::Object(map) if !map.is_empty() && !prefix.ends_with("keys") => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(&path, inner, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

#[test]
fn configuration_doc_names_every_setting_of_every_service() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/CONFIGURATION.md")).unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for kind in crate::helpers::present() {
        let text = std::fs::read_to_string(
            root.join("services")
                .join(kind.name)
                .join("config/defaults.toml"),
        )
        .unwrap();
        let value: Value = Config::builder()
            .add_source(File::from_str(&text, FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        let mut keys = Vec::new();
        leaves("", &value, &mut keys);
        for key in keys {
            let row = format!("| `{key}` |");
            let env = format!("{}__{}", kind.prefix, key.to_uppercase().replace('.', "__"));
            let section = doc
                .split(&format!("## {}\n", kind.name))
                .nth(1)
                .map(|rest| rest.split("\n## ").next().unwrap_or(rest));
            let line =
                section.and_then(|section| section.lines().find(|line| line.starts_with(&row)));
            match line {
                Some(line) if line.contains(&format!("`{env}")) || line.contains("file only") => {}
                _ => missing.push(format!("{}: {key} ({env})", kind.name)),
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "too few settings found: {checked}");
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md lacks these settings (run deploy/configuration-doc.py): {missing:#?}"
    );
}
