//! The identity document file: what the applicant declares and what the bytes really are.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;

/// Largest document accepted: 3 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 3 * 1024 * 1024;

/// Bytes read from the start of an uploaded file to recognise its type.
pub const SNIFF_BYTES: u64 = 512;

/// The formats the assistance service can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentType {
    /// `application/pdf`
    #[serde(rename = "application/pdf")]
    Pdf,
    /// `image/jpeg`
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/png`
    #[serde(rename = "image/png")]
    Png,
}

impl DocumentType {
    /// Parses a MIME type exactly as the form sends it.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "application/pdf" => Ok(Self::Pdf),
            "image/jpeg" => Ok(Self::Jpeg),
            "image/png" => Ok(Self::Png),
            "" => Err(FieldError::Missing),
            _ => Err(FieldError::UnsupportedDocumentType),
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// Recognises the type of a file from its first bytes (magic numbers, by the `infer` crate);
    /// `None` for anything that is not a PDF, JPEG or PNG.
    pub fn sniff(first_bytes: &[u8]) -> Option<Self> {
        match infer::get(first_bytes)?.mime_type() {
            "application/pdf" => Some(Self::Pdf),
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// Checks a declared size: 1 byte to [`MAX_DOCUMENT_BYTES`].
pub fn parse_document_size(size: u64) -> Result<u64, FieldError> {
    match size {
        0 => Err(FieldError::EmptyDocument),
        s if s > MAX_DOCUMENT_BYTES => Err(FieldError::DocumentTooLarge(MAX_DOCUMENT_BYTES)),
        s => Ok(s),
    }
}

/// The file the applicant says they will upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredDocument {
    /// Declared MIME type.
    pub content_type: DocumentType,
    /// Declared size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";

    #[test]
    fn recognises_the_three_formats_by_their_bytes() {
        assert_eq!(DocumentType::sniff(PDF), Some(DocumentType::Pdf));
        assert_eq!(DocumentType::sniff(PNG), Some(DocumentType::Png));
        assert_eq!(DocumentType::sniff(JPEG), Some(DocumentType::Jpeg));
    }

    #[test]
    fn refuses_executables_html_and_text() {
        assert_eq!(DocumentType::sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff"), None);
        assert_eq!(DocumentType::sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), None);
        assert_eq!(DocumentType::sniff(b"<!DOCTYPE html><html><body>"), None);
        assert_eq!(DocumentType::sniff(b"just some text"), None);
        assert_eq!(DocumentType::sniff(b""), None);
    }

    #[test]
    fn declared_types_and_sizes() {
        assert_eq!(DocumentType::parse("image/png"), Ok(DocumentType::Png));
        assert_eq!(DocumentType::parse("image/gif"), Err(FieldError::UnsupportedDocumentType));
        assert_eq!(DocumentType::parse("IMAGE/PNG"), Err(FieldError::UnsupportedDocumentType));
        assert_eq!(parse_document_size(0), Err(FieldError::EmptyDocument));
        assert_eq!(parse_document_size(1), Ok(1));
        assert_eq!(parse_document_size(3_145_728), Ok(3_145_728));
        assert_eq!(parse_document_size(3_145_729), Err(FieldError::DocumentTooLarge(3_145_728)));
    }
}
