//! The life of an accreditation request: its states and the only transitions allowed between them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created; the identity document has not been accepted yet. A request left here lapses
    /// after `REQUEST_TTL_HOURS` (DynamoDB TTL; reads treat it as gone): expiry is no transition.
    AwaitingDocument,
    /// Complete and in the operators' queue.
    Submitted,
    /// An operator asked the applicant for another document.
    InfoRequested,
    /// Credentials issued.
    Approved,
    /// Refused by an operator, with a reason.
    Rejected,
}

/// Something that happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A document passed the acceptance check.
    AcceptDocument,
    /// An operator approves.
    Approve,
    /// An operator rejects.
    Reject,
    /// An operator asks for more documents.
    RequestInfo,
}

/// An action that the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action:?} a request that is {from}")]
pub struct InvalidTransition {
    /// The status the request is in.
    pub from: Status,
    /// What was attempted.
    pub action: Action,
}

/// The one table of allowed transitions: the status `action` leads to from `from`.
pub fn transition(from: Status, action: Action) -> Result<Status, InvalidTransition> {
    use Action::*;
    use Status::*;
    match (from, action) {
        (AwaitingDocument, AcceptDocument) | (InfoRequested, AcceptDocument) => Ok(Submitted),
        (Submitted, Approve) => Ok(Approved),
        (Submitted | InfoRequested, Reject) => Ok(Rejected),
        (Submitted, RequestInfo) => Ok(InfoRequested),
        _ => Err(InvalidTransition { from, action }),
    }
}

impl Status {
    /// Every status, for exhaustive checks.
    pub const ALL: [Status; 5] =
        [Self::AwaitingDocument, Self::Submitted, Self::InfoRequested, Self::Approved, Self::Rejected];

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The wire name (`awaiting_document`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingDocument => "awaiting_document",
            Self::Submitted => "submitted",
            Self::InfoRequested => "info_requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// True while the request blocks a second request of the same person: until it is rejected
    /// (an approved person already holds credentials; a lapsed request's locks lapse with it).
    pub fn holds_person(self) -> bool {
        self != Self::Rejected
    }

    /// True once an operator decided (approved or rejected): the documents' retention period runs.
    pub fn is_decided(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected)
    }

    /// True when the applicant may upload a document.
    pub fn accepts_document(self) -> bool {
        transition(self, Action::AcceptDocument).is_ok()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 4] = [Action::AcceptDocument, Action::Approve, Action::Reject, Action::RequestInfo];

    #[test]
    fn the_allowed_transitions_are_exactly_the_designed_ones() {
        let allowed: Vec<_> = Status::ALL
            .iter()
            .flat_map(|&from| ACTIONS.iter().map(move |&action| (from, action)))
            .filter_map(|(from, action)| transition(from, action).ok().map(|to| (from, action, to)))
            .collect();
        use Action::*;
        use Status::*;
        assert_eq!(
            allowed,
            [
                (AwaitingDocument, AcceptDocument, Submitted),
                (Submitted, Approve, Approved),
                (Submitted, Reject, Rejected),
                (Submitted, RequestInfo, InfoRequested),
                (InfoRequested, AcceptDocument, Submitted),
                (InfoRequested, Reject, Rejected),
            ]
        );
    }

    #[test]
    fn final_states_allow_nothing() {
        for from in [Status::Approved, Status::Rejected] {
            for action in ACTIONS {
                assert_eq!(transition(from, action), Err(InvalidTransition { from, action }));
            }
        }
    }

    #[test]
    fn wire_names_match_serde() {
        for status in Status::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }
}
