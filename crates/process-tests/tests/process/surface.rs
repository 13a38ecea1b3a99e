//! Probes, the served contract and the docs page, on the real binary.

use crate::helpers::{Launch, binary, database, free_port, present};
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_binary_serves_probes_metrics_its_spec_and_offline_docs() {
    let kinds = present();
    assert!(!kinds.is_empty(), "no service found under services/");
    let client = reqwest::Client::new();
    for kind in kinds {
        let database = database(kind);
        let mut process = Launch::new(kind, &database).spawn();
        process.wait_ready(Duration::from_secs(60)).await;

        let res = client.get(process.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", kind.name);
        assert_eq!(res.text().await.unwrap(), "ok");

        let ready: Value = client
            .get(process.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["status"], "ready", "{}: {ready}", kind.name);
        assert_eq!(ready["migrations"], "ok", "{}: {ready}", kind.name);

        let yaml = client
            .get(process.url("/openapi.yaml"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            yaml, kind.spec,
            "{}: /openapi.yaml is the contract verbatim",
            kind.name
        );
        let json: Value = client
            .get(process.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let expected: Value = serde_norway::from_str(kind.spec).unwrap();
        assert_eq!(
            json, expected,
            "{}: /openapi.json is the contract as JSON",
            kind.name
        );

        let page = client.get(process.url("/docs")).send().await.unwrap();
        assert_eq!(
            page.status(),
            200,
            "{}: /docs follows to the page",
            kind.name
        );
        assert!(
            page.text().await.unwrap().contains("swagger-ui"),
            "{}",
            kind.name
        );
        let init = client
            .get(process.url("/docs/swagger-initializer.js"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            init.contains("\"/openapi.json\""),
            "{}: docs point at the served spec",
            kind.name
        );

        // The container HEALTHCHECK's probe, pointed the way the image points it (BIND_ADDR).
        let probe = |bind: &str| {
            std::process::Command::new(binary("healthprobe"))
                .env_clear()
                .env("BIND_ADDR", bind)
                .output()
                .unwrap()
        };
        let bind = process
            .address
            .trim_start_matches("http://")
            .replace("127.0.0.1", "0.0.0.0");
        assert!(
            probe(&bind).status.success(),
            "{}: healthprobe against a live service",
            kind.name
        );
        assert!(
            !probe(&format!("0.0.0.0:{}", free_port())).status.success(),
            "healthprobe must fail on a dead port"
        );

        let metrics = client
            .get(process.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("http_requests_total"),
            "{}: request metrics exported:\n{metrics}",
            kind.name
        );
    }
}
