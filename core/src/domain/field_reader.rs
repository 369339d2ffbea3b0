//! The one reader of request bodies: JSON objects read field by field into domain types, with
//! every refused field collected as a [`FieldError`] and told in the client's language.

use serde_json::{Map, Value};

use super::{Expected, FieldError, FieldErrors, InvalidForm, Language, parse_document_size};

/// Reads the fields of one JSON object into typed values, collecting the error of every refused
/// field (nested ones as `address.city`), so that a client hears of all of them at once.
pub struct FieldReader<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    errors: FieldErrors,
}

impl<'a> FieldReader<'a> {
    /// A reader of `map` that refuses every field not in `known` (the form's way).
    pub fn strict(map: &'a Map<String, Value>, prefix: &str, known: &[&str]) -> Self {
        let mut errors = FieldErrors::default();
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            errors.add(format!("{prefix}{key}"), FieldError::Unknown);
        }
        Self { map, prefix: prefix.to_string(), errors }
    }

    /// A reader of `map` that ignores fields it is not asked for.
    pub fn lenient(map: &'a Map<String, Value>) -> Self {
        Self { map, prefix: String::new(), errors: FieldErrors::default() }
    }

    /// The errors so far.
    pub fn errors(&self) -> &FieldErrors {
        &self.errors
    }

    /// Records the error of a field the caller checked itself.
    pub fn refuse(&mut self, name: &str, error: FieldError) {
        self.fail::<()>(name, error);
    }

    /// Every error, to be told in `language`; `Ok` when there are none.
    pub fn finish(self, language: Language) -> Result<(), InvalidForm> {
        if self.errors.is_empty() { Ok(()) } else { Err(InvalidForm { language, errors: self.errors }) }
    }

    /// The errors, for a caller merging them.
    pub fn into_errors(self) -> FieldErrors {
        self.errors
    }

    fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn fail<T>(&mut self, name: &str, error: FieldError) -> Option<T> {
        let path = self.path(name);
        self.errors.add(path, error);
        None
    }

    /// A mandatory text field.
    pub fn required<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, FieldError>) -> Option<T> {
        match self.map.get(name) {
            None | Some(Value::Null) => self.fail(name, FieldError::Missing),
            Some(Value::String(s)) => match parse(s) {
                Ok(value) => Some(value),
                Err(error) => self.fail(name, error),
            },
            Some(_) => self.fail(name, FieldError::WrongType(Expected::Text)),
        }
    }

    /// An optional text field: absent, `null` or blank mean "not given".
    pub fn optional<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, FieldError>) -> Option<Option<T>> {
        match self.map.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(Value::String(s)) => match parse(s) {
                Ok(value) => Some(Some(value)),
                Err(error) => self.fail(name, error),
            },
            Some(_) => self.fail(name, FieldError::WrongType(Expected::Text)),
        }
    }

    /// The consent box: it must be exactly `true`.
    pub fn consent(&mut self, name: &str) {
        match self.map.get(name) {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) | None | Some(Value::Null) => {
                self.fail::<()>(name, FieldError::ConsentRequired);
            }
            Some(_) => {
                self.fail::<()>(name, FieldError::WrongType(Expected::Boolean));
            }
        }
    }

    /// A declared file size in bytes.
    pub fn size(&mut self, name: &str) -> Option<u64> {
        match self.map.get(name) {
            None | Some(Value::Null) => self.fail(name, FieldError::Missing),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(size) => match parse_document_size(size) {
                    Ok(size) => Some(size),
                    Err(error) => self.fail(name, error),
                },
                None => self.fail(name, FieldError::WrongType(Expected::WholeNumber)),
            },
            Some(_) => self.fail(name, FieldError::WrongType(Expected::WholeNumber)),
        }
    }

    /// A nested object, read by `read` with its own (strict) reader whose errors are merged here.
    pub fn object<T>(
        &mut self,
        name: &str,
        known: &[&str],
        read: impl FnOnce(&mut FieldReader<'a>) -> Option<T>,
    ) -> Option<T> {
        match self.map.get(name) {
            None | Some(Value::Null) => self.fail(name, FieldError::Missing),
            Some(Value::Object(inner)) => {
                let mut reader = FieldReader::strict(inner, &format!("{}.", self.path(name)), known);
                let value = read(&mut reader);
                for (field, error) in reader.errors.into_iter() {
                    self.errors.add(field, error);
                }
                value
            }
            Some(_) => self.fail(name, FieldError::WrongType(Expected::Object)),
        }
    }
}
/// The two required text fields `names` of `body`, as typed; every error told in `language`.
pub fn two_texts(
    body: &Map<String, Value>,
    language: Language,
    names: [&str; 2],
) -> Result<(String, String), InvalidForm> {
    let mut reader = FieldReader::lenient(body);
    let first = reader.required(names[0], typed);
    let second = reader.required(names[1], typed);
    reader.finish(language)?;
    first.zip(second).ok_or(InvalidForm { language, errors: FieldErrors::default() })
}

/// Text typed as it is (passwords keep their spaces); empty is missing.
pub fn typed(value: &str) -> Result<String, FieldError> {
    if value.is_empty() { Err(FieldError::Missing) } else { Ok(value.to_string()) }
}
