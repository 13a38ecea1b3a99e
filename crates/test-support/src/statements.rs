//! The number of database statements a request issued, as its access-log line reports it
//! (`db_statements`, counted by `persistence::statements`), for tests that pin each endpoint's count: a list
//! must not grow a statement per row, a write must not grow a look-up.
//!
//! Call [`crate::logs::capture`] before spawning the app; send each request with its own `x-request-id`.

use serde_json::Value;

/// The `db_statements` of the access-log line of request `request_id`, once it has been logged.
pub async fn of(request_id: &str) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(n) = logged(request_id) {
            return n;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access-log line for request {request_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn logged(request_id: &str) -> Option<u32> {
    crate::logs::text().lines().find_map(|line| {
        if !line.contains(request_id) {
            return None;
        }
        let entry: Value = serde_json::from_str(line).ok()?;
        let fields = &entry["fields"];
        let ours =
            entry["span"]["request_id"] == request_id && fields["message"] == "request served";
        ours.then(|| fields["db_statements"].as_u64())
            .flatten()
            .and_then(|n| u32::try_from(n).ok())
    })
}

/// One row of a pinned table: `METHOD PATH [VARIANT] STATUS STATEMENTS` (whitespace-separated; blank lines and
/// `#` comments skipped). `path` may hold `{name}` placeholders ([`Row::path`] fills them).
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub method: &'a str,
    pub template: &'a str,
    /// The optional fourth column (how the test sends the request), `""` without.
    pub variant: &'a str,
    /// The pinned (status, statements).
    pub pinned: (u16, u32),
}

impl Row<'_> {
    /// The path with each `{name}` of `vars` replaced by its value.
    pub fn path(&self, vars: &[(&str, String)]) -> String {
        vars.iter()
            .fold(self.template.to_owned(), |path, (name, value)| {
                path.replace(name, value)
            })
    }
}

/// The rows of a pinned table.
pub fn table(pinned: &str) -> Vec<Row<'_>> {
    pinned
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (method, template, variant, status, statements) = match fields[..] {
                [method, template, status, statements] => {
                    (method, template, "", status, statements)
                }
                [method, template, variant, status, statements] => {
                    (method, template, variant, status, statements)
                }
                _ => panic!("a pinned row has 4 or 5 fields: {line}"),
            };
            Row {
                method,
                template,
                variant,
                pinned: (number(status, line), number(statements, line)),
            }
        })
        .collect()
}

fn number<T: std::str::FromStr>(text: &str, line: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("not a number in a pinned row: {line}"))
}

/// Every row's measured figure against its pin, reported all at once with the whole measured table.
#[derive(Default)]
pub struct Tally {
    report: Vec<String>,
    wrong: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, row: &Row<'_>, measured: (u16, u32)) {
        let name = format!("{} {} {}", row.method, row.template, row.variant);
        let name = name.trim_end();
        self.report
            .push(format!("{name}: {} {}", measured.0, measured.1));
        if measured != row.pinned {
            self.wrong.push(format!(
                "{name}: pinned {:?}, measured {measured:?}",
                row.pinned
            ));
        }
    }

    /// Fails naming every row whose figure differs from its pin.
    pub fn assert_pinned(self) {
        assert!(
            self.wrong.is_empty(),
            "{}\n\nmeasured:\n{}",
            self.wrong.join("\n"),
            self.report.join("\n")
        );
    }
}
