//! Generates one client per service from `specs/<service>.yaml` with progenitor (into OUT_DIR), after the
//! adjustments of `src/adjust.rs`. A spec progenitor cannot take fails the build, naming the construct.

#![allow(clippy::expect_used)] // a build script reports by panicking

#[path = "src/adjust.rs"]
mod adjust;

use std::path::{Path, PathBuf};

const SPECS: [(&str, &str); 3] = [
    ("identity", "identity.yaml"),
    ("idp_management", "idp-management.yaml"),
    ("provider_connection", "provider-connection.yaml"),
];

fn main() {
    println!("cargo:rerun-if-changed=src/adjust.rs");
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    for (module, file) in SPECS {
        let path = specs.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut doc: serde_json::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{file}: not YAML: {e}"));
        let mut notes = adjust::openapi31_to_30(&mut doc).unwrap_or_else(|e| panic!("{file}: {e}"));
        notes.extend(adjust::for_progenitor(&mut doc).unwrap_or_else(|e| panic!("{file}: {e}")));
        let spec: openapiv3::OpenAPI = serde_json::from_value(doc).unwrap_or_else(|e| {
            panic!("{file}: not an OpenAPI 3.0 document after adjustment: {e}")
        });
        let mut settings = progenitor::GenerationSettings::new();
        settings
            .with_interface(progenitor::InterfaceStyle::Builder)
            .with_inner_type(quote_inner())
            .with_hooks(progenitor::HooksMode::Expected);
        let tokens = progenitor::Generator::new(&settings)
            .generate_tokens(&spec)
            .unwrap_or_else(|e| panic!("{file}: progenitor: {e}"));
        let ast = syn::parse2(tokens).unwrap_or_else(|e| panic!("{file}: generated code: {e}"));
        let code = prettyplease::unparse(&ast);
        std::fs::write(out.join(format!("{module}.rs")), code).expect("write client");
        std::fs::write(
            out.join(format!("{module}.adjustments.txt")),
            notes.join("\n"),
        )
        .expect("write notes");
    }
}

/// The generated `Client`'s inner value: the crate's request observer.
fn quote_inner() -> proc_macro2::TokenStream {
    "crate::Observer".parse().expect("a path")
}
