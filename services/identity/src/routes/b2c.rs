//! Azure AD B2C API connectors: `POST /b2c/register` (sign-up) and `POST /b2c/token` (token enrichment).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::AppState;
use crate::connectors::decide;
use crate::context::Ctx;
use crate::input::b2c::{parse_sign_up, parse_token};
use crate::views::b2c as view;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/register").route(web::post().to(register)))
        .service(web::resource("/token").route(web::post().to(token)));
}

async fn register(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    match parse_sign_up(&body) {
        Ok(input) => view::sign_up(decide::sign_up(&state.connectors, &state.pool, &input).await),
        Err(invalid) => view::validation_error(&invalid),
    }
}

async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let ctx = Ctx::connector("b2c", &req);
    match parse_token(&body) {
        Ok(who) => view::token(decide::token(&state.connectors, &state.pool, &ctx, &who).await),
        Err(invalid) => view::validation_error(&invalid),
    }
}
