//! The bodies of `POST /auth/login`, `/auth/mfa` and `/auth/password` read into the login's
//! commands.

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::{
    domain::{FieldError, FieldErrors, FieldReader, InvalidForm, Language, two_texts, typed},
    services::auth::{ChangeBy, Login, MfaAnswer, PasswordChange},
};

impl MfaAnswer {
    /// Reads `mfa_token` and `code`, both required; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let (mfa_token, code) = two_texts(body, language, ["mfa_token", "code"])?;
        Ok(Self { mfa_token, code, source_ip: None })
    }
}

impl Login {
    /// Reads `username` and `password`, both required; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let (username, password) = two_texts(body, language, ["username", "password"])?;
        Ok(Self { username, password: SecretString::from(password), source_ip: None })
    }
}

impl PasswordChange {
    /// Reads `new_password` and one of `change_token` or `current_password`; errors told in
    /// `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let mut reader = FieldReader::lenient(body);
        let new_password = reader.required("new_password", typed);
        let token = reader.optional("change_token", typed).flatten();
        let current = reader.optional("current_password", typed).flatten();
        let by = match (token, current) {
            (Some(token), _) => Some(ChangeBy::Token(token)),
            (None, Some(current)) => Some(ChangeBy::CurrentPassword(SecretString::from(current))),
            (None, None) => {
                if reader.errors().get("change_token").is_none() && reader.errors().get("current_password").is_none() {
                    reader.refuse("change_token", FieldError::Missing);
                }
                None
            }
        };
        reader.finish(language)?;
        match (new_password, by) {
            (Some(new_password), Some(by)) => Ok(Self { new_password: SecretString::from(new_password), by }),
            _ => Err(InvalidForm { language, errors: FieldErrors::default() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::auth::ChangeBy;

    fn body(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_login_needs_both_fields_as_text() {
        let login = Login::read(&body(serde_json::json!({"username": "maria", "password": " p w "})), Language::En);
        let login = login.unwrap();
        assert_eq!(
            (login.username.as_str(), secrecy::ExposeSecret::expose_secret(&login.password)),
            ("maria", " p w ")
        );
        let invalid = Login::read(&body(serde_json::json!({"username": 7})), Language::It).err().expect("refused");
        let messages = invalid.errors.messages(invalid.language);
        assert_eq!(messages["password"], "Campo obbligatorio.");
        assert_eq!(messages["username"], "Valore non valido: atteso un testo.");
    }

    #[test]
    fn a_password_change_names_its_authority() {
        let by_token =
            PasswordChange::read(&body(serde_json::json!({"change_token": "t", "new_password": "n"})), Language::En);
        assert!(matches!(by_token.unwrap().by, ChangeBy::Token(token) if token == "t"));
        let by_session = PasswordChange::read(
            &body(serde_json::json!({"current_password": "c", "new_password": "n"})),
            Language::En,
        );
        assert!(matches!(by_session.unwrap().by, ChangeBy::CurrentPassword(_)));
        let neither = PasswordChange::read(&Map::new(), Language::En).err().expect("refused");
        assert_eq!(neither.errors.messages(Language::En).keys().collect::<Vec<_>>(), ["change_token", "new_password"]);
    }
}
