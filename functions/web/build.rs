//! Prepares the stylesheet, the scripts and the OpenAPI document at build time, since none of them
//! depends on the deployment's settings: each script with its imports linked to the versioned URLs
//! of the modules it imports, its own versioned URL, and the gzip of each (best compression).
//! Compressed at cold start instead, they cost the `web` function about 50 million instructions
//! (7 ms of CPU) of its start-up, the OpenAPI document (160 kB) most of it. The pages, which carry
//! the settings, are still rendered at cold start (`Site::new`).
//!
//! Writes `assets.rs` into `OUT_DIR` (included by `src/lib.rs`) beside the files it names.

use std::{env, fmt::Write as _, fs, io::Write as _, path::Path};

use flate2::{Compression, write::GzEncoder};
use sha2::{Digest, Sha256};

/// The stylesheet and the scripts (ES modules), served under `/assets/<name>`, each after the
/// modules it imports: an import of `./<name>` is linked to that module's versioned URL, so a
/// module's version covers what it imports. `TEXTS` stands for every `texts-<tag>.js` (one per
/// language, by name) followed by `texts.js`, written here to import them all.
const ASSETS: &[&str] = &[
    "app.css",
    TEXTS,
    "settings.js",
    "i18n.js",
    "dom.js",
    "api.js",
    "upload.js",
    "login.js",
    "form.js",
    "status.js",
    "console.js",
    "reset.js",
];

/// Where the texts of every language go in [`ASSETS`].
const TEXTS: &str = "texts.js";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = env::var("OUT_DIR")?;
    let out = Path::new(&out);
    println!("cargo::rerun-if-changed=assets");
    println!("cargo::rerun-if-changed=openapi.json");
    let mut code = String::from(
        "/// The stylesheet and the scripts (ES modules), served under `/assets/<name>`, by name, prepared by\n\
         /// `build.rs`: each script's imports linked to versioned URLs, its own versioned URL, its gzip.\n\
         const ASSETS: &[(&str, Asset)] = &[\n",
    );
    let mut imports: Vec<(String, String)> = Vec::new();
    let languages = texts_by_language()?;
    let mut sources = Vec::new();
    for name in ASSETS {
        if *name == TEXTS {
            sources.extend(languages.iter().map(|(file, _)| (file.clone(), None)));
            sources.push((TEXTS.to_string(), Some(texts_module(&languages))));
        } else {
            sources.push((name.to_string(), None));
        }
    }
    for (name, generated) in sources {
        let text = match generated {
            Some(text) => text,
            None => {
                let source = format!("assets/{name}");
                println!("cargo::rerun-if-changed={source}");
                fs::read_to_string(&source)?
            }
        };
        let text = imports.iter().fold(text, |text, (import, link)| text.replace(import, link));
        let version = &hex::encode(Sha256::digest(text.as_bytes()))[..12];
        let link = format!("/assets/{name}?v={version}");
        imports.push((format!("from './{name}'"), format!("from '{link}'")));
        fs::write(out.join(&name), &text)?;
        fs::write(out.join(format!("{name}.gz")), gzip(text.as_bytes())?)?;
        writeln!(
            code,
            "    ({name:?}, Asset {{ text: include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}\")), link: {link:?}, \
             gzip: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}.gz\")) }}),"
        )?;
    }
    code.push_str("];\n\n");
    fs::write(out.join("openapi.json.gz"), gzip(&fs::read("openapi.json")?)?)?;
    code.push_str(
        "/// The OpenAPI document, gzip-compressed by `build.rs`.\n\
         const OPENAPI_GZIP: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/openapi.json.gz\"));\n",
    );
    fs::write(out.join("assets.rs"), code)?;
    Ok(())
}

/// Every `assets/texts-<tag>.js` by name, with the name of the object it exports
/// (`TEXT_<TAG>`), in the order of their names.
fn texts_by_language() -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir("assets")? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(tag) = name.strip_prefix("texts-").and_then(|rest| rest.strip_suffix(".js")) {
            files.push((name.clone(), format!("TEXT_{}", tag.to_ascii_uppercase().replace('-', "_"))));
        }
    }
    files.sort();
    Ok(files)
}

/// `texts.js`: the texts of every language by tag, imported from their `texts-<tag>.js`.
fn texts_module(languages: &[(String, String)]) -> String {
    let mut module = String::from("// The pages' texts by language tag: every texts-<tag>.js (written by build.rs).\n");
    let mut table = Vec::new();
    for (file, export) in languages {
        let tag = &file["texts-".len()..file.len() - ".js".len()];
        module.push_str(&format!("import {{ {export} }} from './{file}';\n"));
        table.push(format!("'{tag}': {export}"));
    }
    module.push_str(&format!("\nexport const TEXTS = {{ {} }};\n", table.join(", ")));
    module
}

/// `bytes`, gzip-compressed as the pages are (best compression).
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}
