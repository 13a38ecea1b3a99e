//! A bad setting stops the start-up at once with one line naming it, and a non-zero exit.

use crate::helpers::{Launch, database, present, run_to_exit};
use std::time::Duration;

fn assert_one_line_naming(kind: &str, outcome: (Option<i32>, String, String), names: &[&str]) {
    let (code, stdout, stderr) = outcome;
    assert!(
        matches!(code, Some(c) if c != 0),
        "{kind}: exit {code:?}, stderr {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{kind}: one line expected, got {stderr:?} (stdout {stdout:?})"
    );
    for name in names {
        assert!(
            lines[0].contains(name),
            "{kind}: {:?} does not name {name}",
            lines[0]
        );
    }
    assert!(
        lines[0].contains(kind),
        "{kind}: the line names the service: {:?}",
        lines[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_is_one_clear_line_and_a_failed_exit() {
    for kind in present() {
        // Nothing is contacted before settings are checked, so the database is never created.
        let database = database(kind);
        let bound = Duration::from_secs(10);
        let base = Launch::new(kind, &database);

        let zero_pool = base.env.iter().cloned().chain([(
            format!("{}__DATABASE__POOL_SIZE", kind.prefix),
            "0".to_owned(),
        )]);
        let env: Vec<_> = dedup_last(zero_pool.collect());
        assert_one_line_naming(
            kind.name,
            run_to_exit(kind, &base.args, &env, bound),
            &["database.pool_size"],
        );

        let not_a_number = base
            .env
            .iter()
            .cloned()
            .chain([(format!("{}__HTTP__WORKERS", kind.prefix), "many".to_owned())]);
        let env: Vec<_> = dedup_last(not_a_number.collect());
        assert_one_line_naming(
            kind.name,
            run_to_exit(kind, &base.args, &env, bound),
            &["http.workers"],
        );

        for (key, _, named) in kind.required {
            let variable = format!("{}__{key}", kind.prefix);
            let launch = Launch::new(kind, &database).unset(&variable);
            let outcome = run_to_exit(kind, &launch.args, &launch.env, bound);
            assert_one_line_naming(kind.name, outcome, &[named]);
        }

        let usage = run_to_exit(kind, &["--bogus".to_owned()], &base.env, bound);
        assert_one_line_naming(kind.name, usage, &["--bogus", "usage"]);
    }
}

/// Later entries win, as in a shell environment.
fn dedup_last(env: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in env {
        out.retain(|(key, _)| *key != k);
        out.push((k, v));
    }
    out
}
