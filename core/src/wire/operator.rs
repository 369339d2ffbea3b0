//! An operator's action read from its path segment and body.

use serde_json::{Map, Value};

use crate::{
    domain::{Allowed, FieldError, FieldErrors, FieldReader, InvalidForm, Language, Note},
    services::operator::{DEFAULT_PAGE, LISTED, MAX_PAGE, OperatorAction, QueueQuery},
    workflow::Status,
};

impl OperatorAction {
    /// The action the path segment `name` names, with its `body` read (errors told in
    /// `language`); `None` when no action has that name.
    pub fn read(name: &str, body: &Map<String, Value>, language: Language) -> Option<Result<Self, InvalidForm>> {
        let mut reader = FieldReader::lenient(body);
        let action = match name {
            "approve" => reader.optional("note", Note::parse).map(|note| Self::Approve { note }),
            "reject" => reader.required("reason", Note::parse).map(|reason| Self::Reject { reason }),
            "request-info" => reader.required("message", Note::parse).map(|message| Self::RequestInfo { message }),
            "reissue-credentials" => Some(Self::ReissueCredentials),
            _ => return None,
        };
        // A field the reader refused is in its errors: no errors means the action was read.
        Some(
            reader
                .finish(language)
                .and_then(|()| action.ok_or_else(|| InvalidForm { language, errors: FieldErrors::default() })),
        )
    }
}

impl QueueQuery {
    /// Reads `status`, `limit` and `cursor`; every invalid parameter at once, told in `language`.
    pub fn read(
        status: Option<&str>,
        limit: Option<&str>,
        cursor: Option<&str>,
        language: Language,
    ) -> Result<Self, InvalidForm> {
        let mut errors = FieldErrors::default();
        let status = match status {
            None => Some(Status::Submitted),
            Some(text) => Status::parse(text).filter(|s| LISTED.contains(s)).or_else(|| {
                errors.add("status", FieldError::InvalidCharacters(Allowed::Statuses));
                None
            }),
        };
        let limit = match limit.map(str::parse::<i32>) {
            None => Some(DEFAULT_PAGE),
            Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => Some(n),
            Some(_) => {
                errors.add("limit", FieldError::InvalidCharacters(Allowed::PageSize));
                None
            }
        };
        match (status, limit) {
            (Some(status), Some(limit)) => Ok(Self { status, limit, cursor: cursor.map(str::to_string) }),
            _ => Err(InvalidForm { language, errors }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MAX_NOTE;

    fn body(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn actions_are_read_with_every_refused_field_in_the_clients_language() {
        let approve = OperatorAction::read("approve", &body(serde_json::json!({"note": "  ok  "})), Language::En);
        assert_eq!(approve, Some(Ok(OperatorAction::Approve { note: Some(Note::parse("ok").unwrap()) })));
        let bare = OperatorAction::read("approve", &Map::new(), Language::En);
        assert_eq!(bare, Some(Ok(OperatorAction::Approve { note: None })));
        assert_eq!(OperatorAction::read("archive", &Map::new(), Language::En), None, "no such action");

        let Some(Err(missing)) =
            OperatorAction::read("reject", &body(serde_json::json!({"reason": " "})), Language::It)
        else {
            panic!("a blank reason is refused");
        };
        assert_eq!(missing.errors.messages(missing.language)["reason"], "Campo obbligatorio.");
        let long = "x".repeat(MAX_NOTE + 1);
        let Some(Err(too_long)) =
            OperatorAction::read("request-info", &body(serde_json::json!({"message": long})), Language::En)
        else {
            panic!("a long message is refused");
        };
        assert_eq!(too_long.errors.get("message"), Some(&FieldError::TooLong(MAX_NOTE)));
        let Some(Err(wrong)) = OperatorAction::read("approve", &body(serde_json::json!({"note": 3})), Language::En)
        else {
            panic!("a number is no note");
        };
        assert_eq!(wrong.errors.get("note"), Some(&FieldError::WrongType(crate::domain::Expected::Text)));
    }

    #[test]
    fn the_queue_query_refuses_every_bad_parameter_at_once() {
        let query = QueueQuery::read(None, None, Some("c"), Language::En).unwrap();
        assert_eq!((query.status, query.limit, query.cursor.as_deref()), (Status::Submitted, DEFAULT_PAGE, Some("c")));
        let invalid = QueueQuery::read(Some("awaiting_document"), Some("101"), None, Language::It).unwrap_err();
        let messages = invalid.errors.messages(invalid.language);
        assert_eq!(messages.keys().collect::<Vec<_>>(), ["limit", "status"]);
        assert!(messages["limit"].contains("un numero intero da 1 a 100"), "{messages:?}");
    }
}
