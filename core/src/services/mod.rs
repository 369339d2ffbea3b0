//! The use cases, written against the ports.

pub mod acceptance;
pub mod account_admin;
pub mod applicant;
pub mod auth;
pub mod clients;
pub mod credentials;
pub mod delivery_reports;
pub mod id_tokens;
pub mod idempotency;
pub mod legacy_import;
pub mod limits;
pub mod operator;
pub mod passwords;
pub mod policy;
pub mod postman;
pub mod provider;
pub mod recovery;
pub mod retention;
pub mod second_factor;
pub mod sessions;

#[cfg(test)]
mod tests {
    use std::{
        collections::{BTreeMap, BTreeSet},
        fs,
        path::Path,
    };

    /// The code of a service module (every file of a folder module), its tests left out.
    fn code_of(path: &Path) -> String {
        let files = if path.is_dir() {
            let mut files: Vec<_> = fs::read_dir(path).unwrap().map(|entry| entry.unwrap().path()).collect();
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        files
            .iter()
            .map(|file| fs::read_to_string(file).unwrap())
            .map(|text| text.split("#[cfg(test)]").next().unwrap_or("").to_string())
            .collect()
    }

    /// Whether `code` names the service module `module` (`module::` after anything but a letter,
    /// a digit, `_` or another crate module's path).
    fn names(code: &str, module: &str) -> bool {
        let pattern = format!("{module}::");
        code.match_indices(&pattern).any(|(at, _)| {
            let before = &code[..at];
            let boundary = before.chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            boundary && !["domain::", "ports::", "adapters::"].iter().any(|other| before.ends_with(other))
        })
    }

    /// Each top-level module of `services` with the others its code names.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let modules: BTreeMap<String, String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_stem().is_some_and(|stem| stem != "mod"))
            .map(|path| (path.file_stem().unwrap().to_string_lossy().into_owned(), code_of(&path)))
            .collect();
        modules
            .iter()
            .map(|(module, code)| {
                let named = modules.keys().filter(|other| *other != module && names(code, other)).cloned().collect();
                (module.clone(), named)
            })
            .collect()
    }

    #[test]
    fn no_service_module_imports_itself_back_through_others() {
        let imports = imports();
        assert!(imports["auth"].contains("postman") && imports["applicant"].contains("acceptance"), "{imports:?}");
        fn visit<'a>(
            module: &'a str,
            imports: &'a BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) {
            if let Some(start) = path.iter().position(|m| *m == module) {
                panic!("an import circle: {} -> {module}", path[start..].join(" -> "));
            }
            if !done.insert(module) {
                return;
            }
            path.push(module);
            for next in &imports[module] {
                visit(next, imports, path, done);
            }
            path.pop();
        }
        let mut done = BTreeSet::new();
        for module in imports.keys() {
            visit(module, &imports, &mut Vec::new(), &mut done);
        }
    }
}
