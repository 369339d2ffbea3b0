//! The privacy notice (GDPR articles 13 and 14), in every language of [`Language::ALL`] one after
//! the other, from the catalog, with the retention periods as configured.

use accreditation::{config::Config, domain::Language};

/// The values of the notice page's placeholders: its title and the service's name (each in every
/// language, joined by ` / `), and the notice itself, a section per language.
pub(crate) fn placeholders(config: &Config) -> [(&'static str, String); 3] {
    let joined =
        |text: fn(Language) -> &'static str| Language::ALL.into_iter().map(text).collect::<Vec<_>>().join(" / ");
    let periods = (
        config.request_ttl.whole_hours(),
        config.document_retention.whole_days(),
        config.rejected_retention.whole_days(),
    );
    let notice = Language::ALL.map(|language| section(language, periods)).join("\n");
    [
        ("{{privacy:title}}", joined(|language| language.texts().privacy.title)),
        ("{{privacy:service}}", joined(|language| language.texts().service)),
        ("{{privacy:notice}}", notice),
    ]
}

/// The notice in `language`: its heading, the law it answers, and its four sections. The texts are
/// the catalog's own plain text, without markup characters (a test checks), so they go in as they are.
fn section(language: Language, (request_hours, document_days, rejected_days): (i64, i64, i64)) -> String {
    let texts = &language.texts().privacy;
    let retention = (texts.retention)(request_hours, document_days, rejected_days);
    let mut html = format!(
        "  <section lang=\"{}\" dir=\"{}\">\n    <h1>{}</h1>\n    <p>{}</p>\n",
        language.tag(),
        language.dir().as_str(),
        texts.heading,
        texts.legal_basis,
    );
    for (heading, text) in [
        (texts.purpose_heading, texts.purpose),
        (texts.data_heading, texts.data),
        (texts.retention_heading, &retention),
        (texts.rights_heading, texts.rights),
    ] {
        html.push_str(&format!("    <h2>{}</h2>\n    <p>{}</p>\n", heading, text));
    }
    html.push_str("  </section>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_has_a_section_per_language_with_the_configured_periods() {
        let notice = Language::ALL.map(|language| section(language, (24, 30, 60))).join("\n");
        for language in Language::ALL {
            let texts = &language.texts().privacy;
            let start = format!("  <section lang=\"{}\" dir=\"{}\">", language.tag(), language.dir().as_str());
            assert!(notice.contains(&start), "{language:?}");
            for text in [texts.heading, texts.legal_basis, texts.purpose, texts.data, texts.rights] {
                assert!(!text.contains(['<', '>', '&']), "{language:?}: markup in {text}");
            }
            assert!((texts.retention)(24, 30, 60).contains("24"), "{language:?}");
        }
        assert!(notice.contains("<p>Una richiesta a cui non viene allegato il documento entro 24 ore"));
        assert!(notice.contains("erased 60 days after the rejection"));
    }
}
