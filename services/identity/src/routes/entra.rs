//! Entra External ID custom authentication extensions, the successor protocol of B2C's API connectors, served
//! from the same logic on their own paths (extensions of the contract):
//! `POST /entra/attributecollectionsubmit` (event `OnAttributeCollectionSubmit`) and
//! `POST /entra/tokenissuancestart` (event `OnTokenIssuanceStart`).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::AppState;
use crate::connectors::decide;
use crate::context::Ctx;
use crate::input::entra::{Unread, parse_submit, parse_token_start};
use crate::views::entra as view;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/attributecollectionsubmit")
            .route(web::post().to(attribute_collection_submit)),
    )
    .service(web::resource("/tokenissuancestart").route(web::post().to(token_issuance_start)));
}

async fn attribute_collection_submit(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    match parse_submit(&body) {
        Ok(input) => view::sign_up(decide::sign_up(&state.connectors, &state.pool, &input).await),
        Err(Unread::Person(invalid)) => view::validation_error(&invalid),
        Err(Unread::Malformed(detail)) => view::malformed(&detail),
    }
}

async fn token_issuance_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = Ctx::connector("entra", &req);
    match parse_token_start(&body) {
        Ok(who) => view::token(
            decide::token(&state.connectors, &state.pool, &ctx, &who).await,
            who.oid,
        ),
        Err(detail) => view::malformed(&detail),
    }
}
