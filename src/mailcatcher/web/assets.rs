//! The mail catcher's templates and static files, embedded in the binary
//! from `templates/mail/` and `static/mail/`.

use actix_web::{web, HttpResponse};

use super::error::WebError;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "mail/layout.html",
        include_str!("../../../templates/mail/layout.html"),
    ),
    (
        "mail/index.html",
        include_str!("../../../templates/mail/index.html"),
    ),
    (
        "mail/message.html",
        include_str!("../../../templates/mail/message.html"),
    ),
];

const STATIC_FILES: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../static/mail/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../static/mail/style.css"),
    ),
];

/// The page templates; `.html` names turn on autoescaping.
pub(super) fn templates() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    Ok(tera)
}

pub(super) async fn static_file(name: web::Path<String>) -> Result<HttpResponse, WebError> {
    let name = name.into_inner();
    let (_, content_type, body) = STATIC_FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or(WebError::NoStaticFile(name))?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(*body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_compile() {
        super::templates().unwrap();
    }
}
