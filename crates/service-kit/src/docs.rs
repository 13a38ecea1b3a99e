//! Interactive API docs at `/docs`: Swagger UI whose assets are compiled into the binary (no CDN), pointed at the
//! service's own `/openapi.json`, so the page works offline and always shows the contract the service serves.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use std::sync::{Arc, LazyLock};
use utoipa_swagger_ui::Config;

/// Where the page lives; `/docs` redirects to `/docs/`, so the page's relative asset links resolve.
pub const PATH: &str = "/docs";

static CONFIG: LazyLock<Arc<Config<'static>>> =
    LazyLock::new(|| Arc::new(Config::from("/openapi.json")));

/// Mounts `/docs` and `/docs/{file}` (no credentials, like the spec itself), as resources so a wrong method
/// answers 405 with `Allow` (see `probes::configure`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(PATH).route(web::get().to(redirect)))
        .service(web::resource("/docs/{file:.*}").route(web::get().to(asset)));
}

async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

async fn asset(file: web::Path<String>) -> HttpResponse {
    match utoipa_swagger_ui::serve(&file, Arc::clone(&CONFIG)) {
        Ok(Some(found)) => {
            let mut response = HttpResponse::Ok();
            response.content_type(found.content_type);
            if found.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            response.body(found.bytes.into_owned())
        }
        Ok(None) => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("no such file under /docs/"),
        Err(err) => {
            tracing::error!(error = %err, "swagger ui asset failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain")
                .body("api docs unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test};

    #[actix_web::test]
    async fn serves_the_page_its_assets_and_points_at_the_own_spec() {
        let app = test::init_service(App::new().configure(configure)).await;
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/docs").to_request()).await;
        assert_eq!(res.status(), 308);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/docs/");

        let res =
            test::call_service(&app, test::TestRequest::get().uri("/docs/").to_request()).await;
        assert_eq!(res.status(), 200);
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(body.contains("swagger-ui"), "{body}");

        let req = test::TestRequest::get()
            .uri("/docs/swagger-initializer.js")
            .to_request();
        let body = String::from_utf8(test::call_and_read_body(&app, req).await.to_vec()).unwrap();
        assert!(body.contains("\"/openapi.json\""), "{body}");

        let req = test::TestRequest::get()
            .uri("/docs/swagger-ui-bundle.js")
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 200);
        assert!(
            test::read_body(res).await.len() > 100_000,
            "the bundle is embedded, not fetched"
        );

        let req = test::TestRequest::get().uri("/docs/nope.js").to_request();
        assert_eq!(test::call_service(&app, req).await.status(), 404);
    }

    #[actix_web::test]
    async fn a_wrong_method_is_405_with_allow_not_404() {
        let app = test::init_service(App::new().configure(configure)).await;
        for path in ["/docs", "/docs/", "/docs/swagger-ui.css"] {
            let req = test::TestRequest::post().uri(path).to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status(), 405, "{path}");
            assert_eq!(res.headers().get(header::ALLOW).unwrap(), "GET", "{path}");
        }
    }
}
