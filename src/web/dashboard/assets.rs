//! `/sidekiq/assets/{file}`: the dashboard's script and stylesheet
//! (`static/sidekiq/`), and the vendored uPlot charting library (MIT, from the
//! npm registry; its licence is served beside it, `static/sidekiq/vendor/`),
//! all embedded in the binary.

use actix_web::{web, HttpResponse};

use crate::web::response::embedded_file;

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    embedded_file(&["sidekiq", "sidekiq/vendor"], &path).await
}
