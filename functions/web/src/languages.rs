//! The pages' languages, all of [`Language::ALL`]: the switch in every page's header, the list the
//! scripts read from the settings (tag and direction), and a test that each has its
//! `texts-<tag>.js` with exactly the keys of the official (Italian) one.

use accreditation::domain::Language;
use serde_json::{Value, json};

/// The buttons of the language switch (`{{languages}}` of `header.html`), one per language,
/// named in the language itself.
pub(crate) fn switch() -> String {
    Language::ALL
        .iter()
        .map(|language| {
            let (tag, name) = (language.tag(), language.endonym());
            format!(
                "      <button type=\"button\" id=\"lang-{tag}\" data-lang=\"{tag}\" lang=\"{tag}\">{name}</button>"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The settings' `languages` (the tag and direction of each) and `official_language`, whose field
/// names stand beside translated labels.
pub(crate) fn settings() -> (Value, Value) {
    let languages =
        Language::ALL.iter().map(|language| json!({"tag": language.tag(), "dir": language.dir().as_str()})).collect();
    (Value::Array(languages), json!(Language::OFFICIAL.tag()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::ASSETS;

    /// The keys of a texts module: each string literal followed by `:` (comments skipped).
    fn keys_of(script: &str) -> BTreeSet<String> {
        let body = &script[script.find("= {").expect("an object literal")..];
        let mut keys = BTreeSet::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    chars.by_ref().find(|c| *c == '\n');
                }
                '\'' | '"' => {
                    let mut literal = String::new();
                    while let Some(next) = chars.next() {
                        match next {
                            '\\' => literal.extend(chars.next()),
                            quote if quote == c => break,
                            other => literal.push(other),
                        }
                    }
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                    if chars.peek() == Some(&':') {
                        assert!(keys.insert(literal.clone()), "{literal} given twice");
                    }
                }
                _ => {}
            }
        }
        keys
    }

    fn texts_of(language: Language) -> &'static str {
        let name = format!("texts-{}.js", language.tag());
        ASSETS
            .iter()
            .find(|(asset, _)| *asset == name)
            .map(|(_, asset)| asset.text)
            .unwrap_or_else(|| panic!("{language:?} has no functions/web/assets/{name}"))
    }

    #[test]
    fn every_language_has_the_texts_of_the_official_one_key_for_key() {
        let official = keys_of(texts_of(Language::OFFICIAL));
        assert!(official.len() > 150, "{} keys read", official.len());
        assert!(official.contains("f.name") && official.contains("field.language"), "keys on shared lines too");
        for language in Language::ALL {
            let keys = keys_of(texts_of(language));
            let missing: Vec<_> = official.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&official).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{language:?}: missing {missing:?}, extra {extra:?}");
        }
        let files = ASSETS.iter().filter(|(name, _)| name.starts_with("texts-")).count();
        assert_eq!(files, Language::ALL.len(), "a texts-<tag>.js for each language, and no other");
    }

    #[test]
    fn the_switch_names_each_language_in_itself() {
        assert_eq!(
            switch(),
            "      <button type=\"button\" id=\"lang-it\" data-lang=\"it\" lang=\"it\">Italiano</button>\n      \
             <button type=\"button\" id=\"lang-en\" data-lang=\"en\" lang=\"en\">English</button>"
        );
        let (languages, official) = settings();
        assert_eq!(languages, json!([{"tag": "it", "dir": "ltr"}, {"tag": "en", "dir": "ltr"}]));
        assert_eq!(official, "it");
    }

    #[test]
    fn the_stylesheet_has_no_left_or_right_so_a_right_to_left_page_needs_nothing_more() {
        let (_, css) = ASSETS.iter().find(|(name, _)| *name == "app.css").expect("the stylesheet");
        let rules: String = css.text.split("*/").map(|part| part.split("/*").next().unwrap_or_default()).collect();
        for physical in ["left", "right"] {
            assert!(!rules.contains(physical), "app.css says {physical}: use inline-start / inline-end");
        }
    }

    #[test]
    fn keys_are_read_past_comments_and_quotes() {
        let keys =
            keys_of("// The pages' texts: keys\nexport const T = {\n  'a': 'x: y', \"b\": \"l'a\", 'c':'{n}',\n};");
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
    }
}
