//! Keyset paging of the audit trail (extension `after` and `Link: rel="next"`): walking by `Link` yields exactly
//! the offset walk and the tenant's whole trail newest first, the tenant stays in the `Link` URL, and a cursor
//! the trail did not give is 400 naming `after`.

use diesel_async::RunQueryDsl;
use reqwest::Response;
use serde_json::Value;
use test_support::http::{cursor_of, next_of};

use crate::helpers::*;
use provider_connection::auth::Capability;

async fn rows(response: Response) -> Vec<Value> {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn get_absolute(app: &TestApp, path_and_query: &str) -> Response {
    app.client
        .get(format!("{}{path_and_query}", app.address))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
}

/// 31 audit rows, interleaved over this workspace's `TENANT` (11), its `OTHER_TENANT` (10) and another
/// workspace's `TENANT` (10), so that a page leaking across either filter would show.
async fn seed(app: &TestApp) {
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(
        "INSERT INTO audit_records (actor, workspace_id, tenant, action, outcome, reason)
         SELECT 'seed-' || n,
                CASE n % 3 WHEN 2 THEN 'ws-elsewhere' ELSE $1 END,
                CASE n % 3 WHEN 1 THEN $3 ELSE $2 END,
                'connection.create',
                CASE n % 2 WHEN 0 THEN 'allowed' ELSE 'denied' END,
                NULL
         FROM generate_series(0, 30) AS n",
    )
    .bind::<diesel::sql_types::Text, _>(WORKSPACE)
    .bind::<diesel::sql_types::Text, _>(TENANT)
    .bind::<diesel::sql_types::Text, _>(OTHER_TENANT)
    .execute(&mut conn)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_the_audit_trail_by_link_equals_walking_by_offset() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let path = format!("/tenants/{TENANT}/audit-records");
    let full = rows(app.get(&format!("{path}?limit=1000"), &admin()).await).await;
    assert_eq!(full.len(), 11);
    let ids: Vec<i64> = full.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert!(
        full.iter()
            .all(|r| r["tenant"] == TENANT && r["workspace_id"] == WORKSPACE)
    );

    for limit in [1usize, 2, 3, 4, 11] {
        let mut by_offset = Vec::new();
        for offset in (0..).step_by(limit) {
            let page = rows(
                app.get(&format!("{path}?limit={limit}&offset={offset}"), &admin())
                    .await,
            )
            .await;
            let short = page.len() < limit;
            by_offset.extend(page);
            if short {
                break;
            }
        }
        assert_eq!(by_offset, full, "limit={limit} by offset");

        let first = app.get(&format!("{path}?limit={limit}"), &admin()).await;
        let mut next = next_of(&first);
        let mut by_link = rows(first).await;
        let mut pages = 1;
        while let Some(link) = next {
            let (link_path, query) = link.split_once('?').unwrap();
            assert_eq!(
                link_path,
                format!("/admin{path}"),
                "the tenant stays: {link}"
            );
            assert!(
                query.starts_with(&format!("limit={limit}&after=")),
                "{link}"
            );
            let response = get_absolute(&app, &link).await;
            next = next_of(&response);
            let page = rows(response).await;
            if next.is_some() {
                assert_eq!(page.len(), limit);
            }
            by_link.extend(page);
            pages += 1;
            assert!(pages < 100);
        }
        assert_eq!(by_link, full, "limit={limit} by Link");
        assert_eq!(pages, 11 / limit + 1, "limit={limit}");
    }

    // The last page has no Link; an offset page links on by cursor.
    let last = app
        .get(&format!("{path}?limit=2&offset=10"), &admin())
        .await;
    assert!(next_of(&last).is_none());
    assert_eq!(rows(last).await, full[10..].to_vec());
    let offset_page = app.get(&format!("{path}?limit=2&offset=3"), &admin()).await;
    let link = next_of(&offset_page).unwrap();
    assert!(!link.contains("offset"), "{link}");
    assert_eq!(
        rows(get_absolute(&app, &link).await).await,
        full[5..7].to_vec()
    );
    // limit=0: an empty page, as before, without Link.
    let cursor = cursor_of(&link);
    for query in ["limit=0".to_owned(), format!("limit=0&after={cursor}")] {
        let none = app.get(&format!("{path}?{query}"), &admin()).await;
        assert!(next_of(&none).is_none());
        assert!(rows(none).await.is_empty());
    }
    // Records written after the walk began are newer: they never appear on a later page by cursor.
    let before = rows(get_absolute(&app, &link).await).await;
    seed(&app).await;
    assert_eq!(rows(get_absolute(&app, &link).await).await, before);
    // The other tenant's trail is its own walk, its own cursor.
    let other = app
        .get(
            &format!("/tenants/{OTHER_TENANT}/audit-records?limit=3"),
            &token_for(&Capability::ALL, &[TENANT, OTHER_TENANT]),
        )
        .await;
    let other_link = next_of(&other).unwrap();
    assert!(other_link.starts_with(&format!("/admin/tenants/{OTHER_TENANT}/audit-records?")));
    let other_rows = rows(other).await;
    assert_eq!(other_rows.len(), 3);
    assert!(other_rows.iter().all(|r| r["tenant"] == OTHER_TENANT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_the_trail_did_not_give_is_400_naming_after() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let path = format!("/tenants/{TENANT}/audit-records");
    let first = app.get(&format!("{path}?limit=1"), &admin()).await;
    let own = cursor_of(&next_of(&first).unwrap());
    assert_eq!(
        app.get(&format!("{path}?after={own}"), &admin())
            .await
            .status(),
        200
    );
    // identity's group-type cursor shape (tag + 4 bytes) and its UUID cursors are refused alike, as is the raw id.
    let bad = [
        String::new(),
        "not-a-cursor".to_owned(),
        "%21%21".to_owned(),
        format!("{own}%3D"),
        format!("{own}AAAA"),
        own[..own.len() - 2].to_owned(),
        "dAAAAAc".to_owned(),
        "ZwAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "42".to_owned(),
        "A".repeat(200),
    ];
    for raw in &bad {
        let response = app.get(&format!("{path}?after={raw}"), &admin()).await;
        assert_eq!(
            assert_problem(response, 400).await["field"],
            "after",
            "{raw:?}"
        );
    }
    let response = app
        .get(&format!("{path}?after={own}&offset=1"), &admin())
        .await;
    assert_eq!(assert_problem(response, 400).await["field"], "after");
    let response = app
        .get(&format!("{path}?after={own}&offset=0&limit=2"), &admin())
        .await;
    assert_eq!(rows(response).await.len(), 2);
}
