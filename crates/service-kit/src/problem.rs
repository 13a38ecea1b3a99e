//! RFC 9457 problem details: the error body of services whose contract names none.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

/// An error response. `field` names the input at fault; `error_id` ties a 500 to its log line.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(rename = "errorId", skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

impl Problem {
    pub const CONTENT_TYPE: &'static str = "application/problem+json";

    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            error_id: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A 400 naming the field at fault.
    pub fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail).with_field(field)
    }

    /// A 503 for a database that cannot be reached in time, so callers retry; the cause goes to the log.
    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service cannot reach its database right now; retry shortly.",
        )
    }

    /// A 500 whose details (the whole source chain) go to the log under a fresh id, and only the id to the caller.
    pub fn internal_error(cause: &(dyn std::error::Error + 'static)) -> Self {
        Self::internal(&crate::error_chain(cause))
    }

    /// A 500 whose details go to the log under a fresh id, and only the id to the caller.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        tracing::error!(error_id = %id, error = %cause, "internal error");
        let mut problem = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("An unexpected error occurred; quote error id {id} to support."),
        );
        problem.error_id = Some(id);
        problem
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(Problem::status_code(self))
            .content_type(Self::CONTENT_TYPE)
            .json(self)
    }
}

/// How a service renders an error the framework made itself (no route, wrong method, body too large), in the
/// service's contract format.
pub type FrameworkErrors = fn(StatusCode) -> HttpResponse;

/// Why a source is refused with 429 (`guard`), in every service's format.
pub const TOO_MANY_FAILURES: &str = "Too many failed authentications from this source; retry after the number of seconds in Retry-After.";

/// [`FrameworkErrors`] as problem documents.
pub fn framework_problem(status: StatusCode) -> HttpResponse {
    let detail = match status {
        StatusCode::NOT_FOUND => "No such resource.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed on this resource.".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.".to_owned(),
        StatusCode::URI_TOO_LONG => "The request target (path and query) is too long.".to_owned(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            "The request headers are too large.".to_owned()
        }
        StatusCode::TOO_MANY_REQUESTS => TOO_MANY_FAILURES.to_owned(),
        other => other.canonical_reason().unwrap_or("Error").to_owned(),
    };
    Problem::new(status, detail).error_response()
}

/// Rewrites the framework's own error responses (empty or plain-text bodies) with `render`, keeping the status
/// and the framework's headers (the `Allow` of a 405, RFC 9110 §15.5.6, which actix derives from the method
/// guards of the resource's routes), so every error has one format. Only the body and its representation
/// headers are replaced. Responses a handler shaped itself (problem documents, a readiness report) pass
/// untouched.
pub fn uniform_errors<B: 'static>(
    render: FrameworkErrors,
) -> actix_web::middleware::ErrorHandlers<B> {
    use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
    use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
    ErrorHandlers::new().default_handler(move |res: actix_web::dev::ServiceResponse<B>| {
        let framework_made = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("text/plain"));
        if !framework_made {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let (req, original) = res.into_parts();
        let mut response = render(status);
        for (name, value) in original.headers() {
            let body_header = [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING].contains(name);
            if !body_header && !response.headers().contains_key(name) {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(
            actix_web::dev::ServiceResponse::new(req, response).map_into_right_body(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{ALLOW, CONTENT_TYPE};
    use actix_web::http::{Method, StatusCode};
    use actix_web::{App, HttpResponse, test, web};

    fn other_format(status: StatusCode) -> HttpResponse {
        HttpResponse::build(status)
            .content_type("application/json")
            .body(r#"{"code":"OTHER"}"#)
    }

    async fn call(
        render: FrameworkErrors,
        method: Method,
        path: &str,
    ) -> (StatusCode, Option<String>, String, String) {
        let app = test::init_service(
            App::new().wrap(uniform_errors(render)).service(
                web::resource("/thing")
                    .route(web::get().to(HttpResponse::Ok))
                    .route(web::put().to(HttpResponse::Ok)),
            ),
        )
        .await;
        let req = test::TestRequest::default()
            .method(method)
            .uri(path)
            .to_request();
        let res = test::call_service(&app, req).await;
        let status = res.status();
        let header = |name| {
            res.headers()
                .get(name)
                .map(|v: &actix_web::http::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (allow, content_type) = (header(ALLOW), header(CONTENT_TYPE).unwrap_or_default());
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        (status, allow, content_type, body)
    }

    #[actix_web::test]
    async fn a_wrong_method_keeps_the_allow_the_router_derived_in_the_services_format() {
        let (status, allow, content_type, body) =
            call(framework_problem, Method::PATCH, "/thing").await;
        assert_eq!(status, 405);
        assert_eq!(allow.as_deref(), Some("GET, PUT"));
        assert_eq!(content_type, Problem::CONTENT_TYPE);
        assert!(body.contains(r#""status":405"#), "{body}");

        let (status, allow, content_type, body) =
            call(other_format, Method::DELETE, "/thing").await;
        assert_eq!(status, 405);
        assert_eq!(allow.as_deref(), Some("GET, PUT"));
        assert_eq!(content_type, "application/json");
        assert_eq!(body, r#"{"code":"OTHER"}"#);

        // actix answers HEAD only where a route serves it: a GET route does not, so HEAD is not allowed.
        let (status, allow, _, _) = call(framework_problem, Method::HEAD, "/thing").await;
        assert_eq!(status, 405);
        assert_eq!(allow.as_deref(), Some("GET, PUT"));
    }

    #[actix_web::test]
    async fn no_route_is_a_404_without_allow() {
        let (status, allow, content_type, _) =
            call(framework_problem, Method::GET, "/nothing").await;
        assert_eq!(status, 404);
        assert_eq!(allow, None);
        assert_eq!(content_type, Problem::CONTENT_TYPE);
    }
}
