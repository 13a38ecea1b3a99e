//! Keyset paging (extension `after` and `Link: rel="next"`) on every paginated list: walking by `Link` yields
//! exactly the offset walk and the whole ordered list, the last page has no `Link`, filters stay in the `Link`
//! URL, and a cursor this list did not give is 400 naming `after`.

use reqwest::Response;
use serde_json::Value;
use test_support::http::{cursor_of, next_of};

use crate::helpers::{KEY, TestApp, assert_bad_field};

async fn get_absolute(app: &TestApp, path_and_query: &str) -> Response {
    app.client
        .get(format!("{}{path_and_query}", app.address))
        .header("x-functions-key", KEY)
        .send()
        .await
        .unwrap()
}

async fn rows(response: Response) -> Vec<Value> {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every page by `offset` until a short page.
async fn walk_by_offset(app: &TestApp, path: &str, limit: usize) -> Vec<Value> {
    let mut all = Vec::new();
    for offset in (0..).step_by(limit) {
        let page = rows(
            app.get(&format!("{path}?limit={limit}&offset={offset}"))
                .await,
        )
        .await;
        let short = page.len() < limit;
        all.extend(page);
        if short {
            return all;
        }
    }
    unreachable!()
}

/// Every page by following `Link` from the first, checking each link keeps the path and `limit` and drops
/// `offset`; the number of pages read is returned too.
async fn walk_by_link(app: &TestApp, path: &str, limit: usize) -> (Vec<Value>, usize) {
    let first = app.get(&format!("{path}?limit={limit}")).await;
    let mut next = next_of(&first);
    let mut all = rows(first).await;
    let mut pages = 1;
    while let Some(link) = next {
        let (link_path, query) = link.split_once('?').unwrap();
        assert_eq!(
            link_path,
            format!("/api/v1{path}"),
            "the filters stay: {link}"
        );
        assert!(
            query.starts_with(&format!("limit={limit}&after=")),
            "{link}"
        );
        let response = get_absolute(app, &link).await;
        next = next_of(&response);
        let page = rows(response).await;
        assert!(page.len() <= limit);
        if next.is_some() {
            assert_eq!(page.len(), limit, "only a full page links on");
        }
        all.extend(page);
        pages += 1;
        assert!(pages < 100, "the walk ends");
    }
    (all, pages)
}

/// The directory behind the lists: 3 group types, 7 users, 7 permissions, 9 groups of which 7 are of type A and
/// 5 of those (and 1 of type B) carry the local id L. Returns the list paths and type A's id.
async fn seed(app: &TestApp) -> (Vec<String>, i64) {
    let a = app.create_grouptype("A").await["id"].as_i64().unwrap();
    let b = app.create_grouptype("B").await["id"].as_i64().unwrap();
    app.create_grouptype("C").await;
    for n in 0..7 {
        app.seed_user(&format!("user{n}@example.com")).await;
        app.create_permission(&format!("P{n}")).await;
        app.create_group(&format!("A{n}"), a, (n < 5).then_some("L"))
            .await;
    }
    app.create_group("B0", b, Some("L")).await;
    app.create_group("B1", b, None).await;
    let paths = [
        "/users".to_owned(),
        "/groups".to_owned(),
        "/groupsbylocal/L".to_owned(),
        "/permissions".to_owned(),
        "/grouptypes".to_owned(),
        format!("/grouptypes/{a}/groups"),
        format!("/grouptypes/{a}/groups/L"),
    ];
    (paths.to_vec(), a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_every_list_by_link_equals_walking_by_offset() {
    let app = TestApp::spawn().await;
    let (paths, a) = seed(&app).await;
    let sizes = [7, 9, 6, 7, 3, 7, 5];
    for (path, size) in paths.iter().zip(sizes) {
        let full = rows(app.get(&format!("{path}?limit=1000")).await).await;
        assert_eq!(full.len(), size, "{path}");
        for limit in [1, 2, 3] {
            let by_offset = walk_by_offset(&app, path, limit).await;
            let (by_link, pages) = walk_by_link(&app, path, limit).await;
            assert_eq!(by_offset, full, "{path} limit={limit} by offset");
            assert_eq!(by_link, full, "{path} limit={limit} by Link");
            // A list that ends on a full page links once more, to an empty page.
            assert_eq!(pages, size / limit + 1, "{path} limit={limit}");
        }
        // The last page has no Link; a full one does, whatever the filters.
        let last = app
            .get(&format!("{path}?limit=2&offset={}", size - 1))
            .await;
        assert!(next_of(&last).is_none(), "{path}");
        assert_eq!(rows(last).await, full[size - 1..].to_vec());
        let everything = app.get(&format!("{path}?limit={size}")).await;
        assert!(next_of(&everything).is_some(), "{path}");
        let beyond = app.get(&format!("{path}?limit={}", size + 1)).await;
        assert!(next_of(&beyond).is_none(), "{path}");
        // An offset page links on too, by cursor, so an offset caller can switch.
        let offset_page = app.get(&format!("{path}?limit=2&offset=1")).await;
        let link = next_of(&offset_page).unwrap();
        assert!(!link.contains("offset"), "{link}");
        let switched = rows(get_absolute(&app, &link).await).await;
        assert_eq!(switched, full[3..(5).min(size)].to_vec(), "{path}");
        // limit=0 is an empty page, as before, and never links.
        let none = app.get(&format!("{path}?limit=0")).await;
        assert!(next_of(&none).is_none());
        assert!(rows(none).await.is_empty());
        let cursor = cursor_of(&link);
        let none = app.get(&format!("{path}?limit=0&after={cursor}")).await;
        assert!(next_of(&none).is_none());
        assert!(rows(none).await.is_empty());
        // `offset=0` beside `after` is the absent offset.
        let same = rows(
            app.get(&format!("{path}?limit=2&offset=0&after={cursor}"))
                .await,
        )
        .await;
        assert_eq!(same, switched, "{path}");
    }
    // The cursor is the sort key, not a position: rows added meanwhile land where their keys sort, and the page
    // after the cursor is the next rows by key, none repeated, none skipped.
    let path = format!("/grouptypes/{a}/groups");
    let page = app.get(&format!("{path}?limit=3")).await;
    let link = next_of(&page).unwrap();
    let last_id = rows(page).await[2]["id"].as_str().unwrap().to_owned();
    for n in 0..6 {
        app.create_group(&format!("Late{n}"), a, None).await;
    }
    let full = rows(app.get(&format!("{path}?limit=1000")).await).await;
    let expected: Vec<Value> = full
        .into_iter()
        .filter(|g| g["id"].as_str().unwrap() > last_id.as_str())
        .take(3)
        .collect();
    assert_eq!(rows(get_absolute(&app, &link).await).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_this_list_did_not_give_is_400_naming_after() {
    let app = TestApp::spawn().await;
    let (paths, a) = seed(&app).await;
    let cursor = |path: String| {
        let app = &app;
        async move { cursor_of(&next_of(&app.get(&format!("{path}?limit=1")).await).unwrap()) }
    };
    let user = cursor("/users".to_owned()).await;
    let group = cursor("/groups".to_owned()).await;
    let permission = cursor("/permissions".to_owned()).await;
    let grouptype = cursor("/grouptypes".to_owned()).await;
    // Another list's cursor, even of the same key type (users, groups and permissions are all UUIDs).
    for (path, foreign) in [
        ("/users".to_owned(), &group),
        ("/users".to_owned(), &grouptype),
        ("/groups".to_owned(), &user),
        ("/groups".to_owned(), &permission),
        ("/groupsbylocal/L".to_owned(), &grouptype),
        ("/permissions".to_owned(), &user),
        ("/grouptypes".to_owned(), &group),
        (format!("/grouptypes/{a}/groups"), &user),
        (format!("/grouptypes/{a}/groups/L"), &permission),
    ] {
        assert_bad_field(app.get(&format!("{path}?after={foreign}")).await, "after").await;
    }
    // Each list's own cursor is taken by the group lists alike (one sort key: the group id).
    for path in &paths[1..3] {
        assert_eq!(
            app.get(&format!("{path}?after={group}")).await.status(),
            200
        );
    }
    let own = [
        &user,
        &group,
        &group,
        &permission,
        &grouptype,
        &group,
        &group,
    ];
    for (path, own) in paths.iter().zip(own) {
        assert_eq!(app.get(&format!("{path}?after={own}")).await.status(), 200);
        let bad = [
            String::new(),
            "not-a-cursor".to_owned(),
            "%21%21%21".to_owned(),                      // not base64url
            format!("{own}%3D"),                         // padded
            format!("{own}AAAA"),                        // too long
            own[..own.len() - 2].to_owned(),             // too short
            own.replace('-', "%2B").replace('_', "%2F"), // the standard alphabet
            "A".repeat(200),
        ];
        for raw in bad.iter().filter(|raw| *raw != own) {
            assert_bad_field(app.get(&format!("{path}?after={raw}")).await, "after").await;
        }
        // With a non-zero offset: the cursor already says where the page starts.
        assert_bad_field(
            app.get(&format!("{path}?after={own}&offset=1")).await,
            "after",
        )
        .await;
        assert_bad_field(
            app.get(&format!("{path}?offset=2&limit=1&after={own}"))
                .await,
            "after",
        )
        .await;
        // limit and offset are checked as before, first.
        assert_bad_field(
            app.get(&format!("{path}?after={own}&limit=x")).await,
            "limit",
        )
        .await;
        assert_bad_field(
            app.get(&format!("{path}?after=zz&offset=-1")).await,
            "offset",
        )
        .await;
    }
}
