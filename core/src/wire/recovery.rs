//! The bodies of `POST /auth/password-reset` and `/auth/password-reset/confirm` read into the
//! recovery's commands.

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::{
    domain::{Email, FieldError, FieldErrors, FieldReader, InvalidForm, Language, two_texts, typed},
    services::recovery::{Forgotten, ResetConfirm, ResetRequest},
};

impl ResetRequest {
    /// Reads exactly one of `username` and `email`; errors told in `language`.
    pub fn read(body: &Map<String, Value>, source_ip: Option<String>, language: Language) -> Result<Self, InvalidForm> {
        let mut reader = FieldReader::lenient(body);
        let username = reader.optional("username", typed).flatten();
        let email = reader.optional("email", Email::parse).flatten();
        let who = match (username, email) {
            (Some(username), None) => Some(Forgotten::Username(username)),
            (None, Some(email)) => Some(Forgotten::Email(email)),
            (Some(_), Some(_)) => {
                reader.refuse("email", FieldError::ExclusiveWith("username"));
                None
            }
            (None, None) => {
                if reader.errors().get("username").is_none() && reader.errors().get("email").is_none() {
                    reader.refuse("username", FieldError::Missing);
                }
                None
            }
        };
        reader.finish(language)?;
        who.map(|who| Self { who, source_ip }).ok_or(InvalidForm { language, errors: FieldErrors::default() })
    }
}

impl ResetConfirm {
    /// Reads `token` and `new_password`, both required; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let (token, new_password) = two_texts(body, language, ["token", "new_password"])?;
        Ok(Self { token, new_password: SecretString::from(new_password) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_reset_request_names_the_username_or_the_email() {
        let by_name = ResetRequest::read(&body(serde_json::json!({"username": "Maria"})), None, Language::En).unwrap();
        assert_eq!(by_name.who, Forgotten::Username("Maria".into()));
        let by_email =
            ResetRequest::read(&body(serde_json::json!({"email": "maria@example.org"})), None, Language::En).unwrap();
        assert!(matches!(by_email.who, Forgotten::Email(_)));
        for (refused, field) in [
            (serde_json::json!({}), "username"),
            (serde_json::json!({"email": "not an address"}), "email"),
            (serde_json::json!({"username": "m", "email": "maria@example.org"}), "email"),
            (serde_json::json!({"username": 7}), "username"),
        ] {
            let invalid = ResetRequest::read(&body(refused.clone()), None, Language::En).expect_err("refused");
            assert!(invalid.errors.messages(Language::En).contains_key(field), "{refused}");
        }
    }
}
