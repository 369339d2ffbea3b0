//! What an operator writes on a decision: an approval's note, a rejection's reason, the message
//! of a request for information.

use super::FieldError;

/// Longest note, reason or message.
pub const MAX_NOTE: usize = 2000;

/// Non-blank text, trimmed, at most [`MAX_NOTE`] characters (lines kept: a reason may have several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    /// Accepts non-blank text of at most [`MAX_NOTE`] characters.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Missing);
        }
        if trimmed.chars().count() > MAX_NOTE {
            return Err(FieldError::TooLong(MAX_NOTE));
        }
        Ok(Self(trimmed.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(Note);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_non_blank_and_bounded() {
        assert_eq!(Note::parse("  document checked\n").unwrap().as_str(), "document checked");
        assert_eq!(Note::parse(" \n\t"), Err(FieldError::Missing));
        assert!(Note::parse(&"é".repeat(MAX_NOTE)).is_ok());
        assert_eq!(Note::parse(&"é".repeat(MAX_NOTE + 1)), Err(FieldError::TooLong(MAX_NOTE)));
    }
}
