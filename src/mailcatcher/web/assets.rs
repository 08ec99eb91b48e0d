//! The mail catcher's templates (`templates/mail/`) and static files
//! (`static/mail/`), from the files embedded in the binary.

use actix_web::{web, HttpResponse};

use super::error::WebError;

/// The page templates; `.html` names turn on autoescaping.
pub(super) fn templates() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(crate::assets::templates_in("mail"))?;
    Ok(tera)
}

pub(super) async fn static_file(name: web::Path<String>) -> Result<HttpResponse, WebError> {
    let name = name.into_inner();
    let path = format!("mail/{name}");
    let body = crate::assets::static_file(&path).ok_or(WebError::NoStaticFile(name))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::assets::content_type(&path))
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_compile() {
        let t = super::templates().unwrap();
        assert_eq!(t.get_template_names().count(), 3);
    }
}
