use identity::context::Ctx;
use identity::db::models::User;
use identity::directory;
use identity::input::UserInput;
use identity::settings::Settings;
use reqwest::Response;
use serde_json::Value;
use test_support::Spawned;
use uuid::Uuid;

pub const KEY: &str = "test-function-key";

/// The spawned service (address, client, pool, db_url, exchange, handle, task, subscribe) and the calls the
/// tests make of it.
pub struct TestApp(Spawned);

impl std::ops::Deref for TestApp {
    type Target = Spawned;
    fn deref(&self) -> &Spawned {
        &self.0
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns the service with test settings, after `tweak` has had its say.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self(
            Spawned::start::<identity::Identity>(|settings| {
                settings.common.database.pool_size = 4;
                settings.auth.function_keys = vec![KEY.to_owned(), "second-key".to_owned()];
                tweak(settings);
            })
            .await,
        )
    }

    /// A contract URL (under `/api/v1`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.api(path))
            .header("x-functions-key", KEY)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.api(path))
            .header("x-functions-key", KEY)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Response {
        self.client
            .post(self.api(path))
            .header("x-functions-key", KEY)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    pub async fn post_empty(&self, path: &str) -> Response {
        self.client
            .post(self.api(path))
            .header("x-functions-key", KEY)
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.client
            .put(self.api(path))
            .header("x-functions-key", KEY)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.api(path))
            .header("x-functions-key", KEY)
            .send()
            .await
            .expect("request")
    }

    /// Users have no create route in the contract; they are seeded the way the B2C connectors will create them.
    pub async fn seed_user(&self, email: &str) -> User {
        let input = UserInput {
            email: domain::Email::parse("email", email).expect("valid email"),
            firstname: Some("Test".to_owned()),
            lastname: Some("User".to_owned()),
            country: Some("US".to_owned()),
        };
        directory::users::create(&self.pool, &Ctx::system("seed"), Uuid::new_v4(), input)
            .await
            .expect("user seeded")
    }

    pub async fn create_grouptype(&self, name: &str) -> Value {
        let response = self
            .post("/grouptypes", &serde_json::json!({ "name": name }))
            .await;
        assert_eq!(response.status(), 201, "creating group type {name}");
        response.json().await.expect("json")
    }

    pub async fn create_group(&self, name: &str, typeid: i64, localid: Option<&str>) -> Value {
        let response = self
            .post(
                "/groups",
                &serde_json::json!({ "name": name, "typeid": typeid, "localid": localid }),
            )
            .await;
        assert_eq!(response.status(), 201, "creating group {name}");
        response.json().await.expect("json")
    }

    pub async fn create_permission(&self, name: &str) -> Value {
        let response = self
            .post("/permissions", &serde_json::json!({ "name": name }))
            .await;
        assert_eq!(response.status(), 201, "creating permission {name}");
        response.json().await.expect("json")
    }
}

pub use test_support::http::assert_problem;

/// Asserts a 400 naming `field`.
pub async fn assert_bad_field(response: Response, field: &str) -> Value {
    let body = assert_problem(response, 400).await;
    assert_eq!(body["field"], field, "field in {body}");
    body
}
