//! `/sidekiq/assets/{file}`: the dashboard's script and stylesheet, and the
//! vendored uPlot charting library (MIT, from the npm registry; its licence
//! is served beside it), all embedded in the binary.

use actix_web::{web, HttpResponse};

use crate::web::routes::assets::{respond, EmbeddedFile};

const FILES: [EmbeddedFile; 5] = [
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../static/sidekiq/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("../../../static/sidekiq/dashboard.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../static/sidekiq/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../../../static/sidekiq/vendor/uPlot.min.css"),
    ),
    (
        "uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../../static/sidekiq/vendor/uPlot.LICENSE"),
    ),
];

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    respond(&FILES, &path).await
}
