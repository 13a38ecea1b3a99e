//! Rendering representations in the negotiated media type: one (a JSON document or one NDJSON line), a list in
//! memory, or a list streamed as it is read (a JSON array written piece by piece, or NDJSON lines), each with the
//! `ETag` of its change id.

use crate::db::models::Provider;
use crate::error::ApiError;
use crate::input::media::Media;
use crate::views::ProviderV1;
use actix_web::HttpResponse;
use actix_web::http::header::{CONTENT_TYPE, ETAG};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

/// `ETag` for a change id.
pub fn etag(change_id: i64) -> String {
    format!("\"{change_id}\"")
}

fn encode(value: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))
}

fn ok(media: Media, change_id: i64) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header((CONTENT_TYPE, media.mime()))
        .insert_header((ETAG, etag(change_id)));
    builder
}

/// One representation, as JSON or as one NDJSON line.
pub fn one(media: Media, change_id: i64, value: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let mut body = encode(value)?;
    if media == Media::Ndjson {
        body.push(b'\n');
    }
    Ok(ok(media, change_id).body(body))
}

/// A list already in memory, as a JSON array or NDJSON lines.
pub fn many(media: Media, change_id: i64, rows: &[Provider]) -> Result<HttpResponse, ApiError> {
    let views: Vec<ProviderV1> = rows.iter().map(ProviderV1::from).collect();
    let body = match media {
        Media::Json => encode(&views)?,
        Media::Ndjson => {
            let mut out = Vec::new();
            for v in &views {
                out.extend(encode(v)?);
                out.push(b'\n');
            }
            out
        }
    };
    Ok(ok(media, change_id).body(body))
}

/// A list streamed as the use case yields it. A failure mid-way is logged and ends the body early (the status is
/// sent by then), which the client sees as a truncated response.
pub fn streamed(
    media: Media,
    change_id: i64,
    rows: impl Stream<Item = Result<Provider, ApiError>> + Send + 'static,
) -> HttpResponse {
    struct State<S> {
        rows: std::pin::Pin<Box<S>>,
        media: Media,
        sent: usize,
        done: bool,
    }
    let start = State {
        rows: Box::pin(rows),
        media,
        sent: 0,
        done: false,
    };
    let body = futures_util::stream::unfold(start, |mut st| async move {
        if st.done {
            return None;
        }
        match st.rows.next().await {
            Some(Ok(row)) => {
                let mut chunk = Vec::new();
                if st.media == Media::Json {
                    chunk.push(if st.sent == 0 { b'[' } else { b',' });
                }
                if let Err(err) = serde_json::to_writer(&mut chunk, &ProviderV1::from(&row)) {
                    st.done = true;
                    return Some((Err(std::io::Error::other(err)), st));
                }
                if st.media == Media::Ndjson {
                    chunk.push(b'\n');
                }
                st.sent += 1;
                Some((Ok(Bytes::from(chunk)), st))
            }
            Some(Err(err)) => {
                tracing::error!(error = %service_kit::error_chain(&err), "list stream failed");
                st.done = true;
                Some((Err(std::io::Error::other(err.to_string())), st))
            }
            None => {
                st.done = true;
                let tail: &'static [u8] = match (st.media, st.sent) {
                    (Media::Json, 0) => b"[]",
                    (Media::Json, _) => b"]",
                    (Media::Ndjson, _) => b"",
                };
                Some((Ok(Bytes::from_static(tail)), st))
            }
        }
    });
    ok(media, change_id).streaming(body)
}
