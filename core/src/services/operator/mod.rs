//! What an operator can do: work the queue, view a request with its documents, approve, reject,
//! ask for more information, re-issue credentials. Every action is one conditional write with
//! its audit entry and the email it owes.

use std::sync::Arc;

use super::{
    credentials::CredentialIssuer,
    policy::DOWNLOAD_VALIDITY,
    postman::{Delivery, Postman},
    sessions::{Claims, LiveSessions},
};
use crate::{
    domain::{
        Account, AccreditationRequest, Actor, Applicant, AuditAction, AuditEntry, Consent, DeliveryProblem,
        DocumentSlot, DocumentType, Email, EmailKind, Event, InvalidForm, Language, Note, OutboxEmail, Reference,
        RequestId, Role, Timestamp, Username,
    },
    ports::{
        AccountStore, Clock, CreateAccountError, DocumentStore, InfraError, QueuePosition, RequestStore, Transition,
        TransitionError,
    },
    workflow::{Action, InvalidTransition, Status, transition},
};

mod commands;
mod new_operator;
mod views;

pub use commands::{OperatorAction, QueueQuery};
pub use new_operator::create_operator;
pub use views::{ActionResult, AuditLine, DocumentDetail, QueueItem, QueuePage, RequestDetail};

/// Default page size of the queue.
pub const DEFAULT_PAGE: i32 = 50;
/// Largest page size.
pub const MAX_PAGE: i32 = 100;
/// Statuses the queue can list (requests awaiting a document are not submitted yet).
pub(crate) const LISTED: [Status; 4] = [Status::Submitted, Status::InfoRequested, Status::Approved, Status::Rejected];

/// Why an operator's call failed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No valid session.
    #[error("not authenticated")]
    Unauthenticated,
    /// A session without the operator role.
    #[error("not an operator")]
    Forbidden,
    /// Invalid input, by field.
    #[error("invalid input")]
    Invalid(InvalidForm),
    /// The paging cursor was altered or belongs to another listing.
    #[error("invalid cursor")]
    InvalidCursor,
    /// No such request.
    #[error("request not found")]
    NotFound,
    /// The request's status does not allow this.
    #[error("not allowed while the request is {0}")]
    InvalidTransition(Status),
    /// The applicant already chose a password: there is nothing to re-issue.
    #[error("credentials already used")]
    CredentialsAlreadyUsed,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The operators' side of the service.
pub struct OperatorService {
    requests: Arc<dyn RequestStore>,
    accounts: Arc<dyn AccountStore>,
    documents: Arc<dyn DocumentStore>,
    postman: Postman,
    sessions: LiveSessions,
    clock: Arc<dyn Clock>,
}

impl OperatorService {
    /// Wires the service.
    pub fn new(
        requests: Arc<dyn RequestStore>,
        accounts: Arc<dyn AccountStore>,
        documents: Arc<dyn DocumentStore>,
        postman: Postman,
        sessions: LiveSessions,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { requests, accounts, documents, postman, sessions, clock }
    }

    /// The operator behind a bearer token: 401 without a valid one whose session is open, 403 for
    /// another role.
    pub async fn authorize(&self, token: Option<&str>) -> Result<Claims, OperatorError> {
        let claims = self.sessions.live(token, self.clock.now()).await?.ok_or(OperatorError::Unauthenticated)?;
        if claims.role == Role::Operator { Ok(claims) } else { Err(OperatorError::Forbidden) }
    }

    /// `GET /operator/requests?status=&limit=&cursor=`: a page of the queue, oldest first.
    pub async fn queue(&self, query: QueueQuery) -> Result<QueuePage, OperatorError> {
        let QueueQuery { status, limit, cursor } = query;
        let after = cursor.map(|c| self.open_cursor(&c, status)).transpose()?;
        let (requests, next) = self.requests.queue(status, limit, after).await?;
        let items = requests
            .into_iter()
            .map(|r| QueueItem {
                id: r.id,
                status: r.status(),
                submitted_at: r.submitted_at(),
                reference: r.reference,
                name: r.applicant.name.to_string(),
                surname: r.applicant.surname.to_string(),
                citizenship: r.applicant.citizenship.to_string(),
            })
            .collect();
        let next_cursor = next.map(|position| self.seal_cursor(status, &position)).transpose()?;
        Ok(QueuePage { items, next_cursor })
    }

    /// `GET /operator/requests/{id}`.
    pub async fn view(&self, id: RequestId) -> Result<RequestDetail, OperatorError> {
        let request = self.find(id).await?;
        let now = self.clock.now();
        let mut documents = Vec::new();
        for slot in request.documents() {
            documents.push(self.document_detail(&request, slot, now).await?);
        }
        let document =
            documents.first().cloned().ok_or_else(|| InfraError::Unexpected("no document slot".into(), None))?;
        let audit = self
            .requests
            .audit_trail(request.id)
            .await?
            .into_iter()
            .map(|e| AuditLine {
                at: e.at,
                actor: e.actor.as_str().to_string(),
                action: e.action,
                from: e.from,
                to: e.to,
                note: e.note,
            })
            .collect();
        Ok(RequestDetail {
            id: request.id,
            status: request.status(),
            submitted_at: request.submitted_at(),
            username: request.username().cloned(),
            undeliverable: request.undeliverable().cloned(),
            reference: request.reference,
            applicant: request.applicant,
            consent: request.consent,
            created_at: request.created_at,
            document,
            documents,
            audit,
        })
    }

    /// `POST /operator/requests/{id}/approve {"note"?}`: in one write, the request approved
    /// ([`Event::Approved`]), the applicant's account with a unique username (awaiting its
    /// credentials) and the email that owes them ([`CredentialIssuer::owed`]); then the postman
    /// sends that email, which issues the credentials ([`CredentialIssuer::issue`]).
    pub async fn approve(
        &self,
        operator: &Claims,
        id: RequestId,
        note: Option<Note>,
    ) -> Result<ActionResult, OperatorError> {
        let note = note.map(String::from);
        let request = self.find(id).await?;
        allowed(request.status(), Action::Approve)?;
        let base = Username::base_for(&request.applicant.name, &request.applicant.surname);
        for _ in 0..10 {
            let number = self.accounts.next_username_number(&base).await?;
            let username = Username::candidate(&base, number)
                .ok_or_else(|| InfraError::Unexpected(format!("no username can be made from {base:?}"), None))?;
            let now = self.clock.now();
            let applicant = &request.applicant;
            let account = Account::pending(
                username.clone(),
                Role::Applicant,
                applicant.email.clone(),
                format!("{} {}", applicant.name, applicant.surname),
                applicant.language,
                Some(request.id),
                now,
            );
            let approved = request.apply(Event::Approved(username.clone()), now).map_err(invalid)?;
            let email = CredentialIssuer::owed(&username, now);
            let step = Step {
                action: AuditAction::Approve,
                note: note.clone(),
                for_applicant: false,
                email,
                account: Some(account),
            };
            let change = step.write(&request, approved, operator, now);
            match self.requests.transition(&change).await {
                Ok(()) => {
                    tracing::info!(request_id = %request.id, %username, "request approved");
                    self.after_commit(&change).await;
                    let status = change.request.status();
                    return Ok(ActionResult { id: request.id, status, username: Some(username) });
                }
                Err(TransitionError::UsernameTaken) => continue,
                Err(e) => return Err(self.lost_race(&request, e).await),
            }
        }
        Err(InfraError::Unexpected(format!("no free username for {base:?} after 10 tries"), None).into())
    }

    /// `POST /operator/requests/{id}/reject {"reason"}`: the reason is mailed to the applicant,
    /// who may then apply again.
    pub async fn reject(&self, operator: &Claims, id: RequestId, reason: Note) -> Result<ActionResult, OperatorError> {
        self.decide(operator, id, Event::Rejected, EmailKind::Rejection, reason.into()).await
    }

    /// `POST /operator/requests/{id}/request-info {"message"}`: the message (and the configured
    /// PDF form) is mailed; the applicant's next document returns the request to `submitted`.
    pub async fn request_info(
        &self,
        operator: &Claims,
        id: RequestId,
        message: Note,
    ) -> Result<ActionResult, OperatorError> {
        self.decide(operator, id, Event::InfoRequested, EmailKind::InfoRequest, message.into()).await
    }

    /// `POST /operator/requests/{id}/reissue-credentials`: new credentials for an approved
    /// applicant who has not logged in yet (the previous temporary password stops working).
    pub async fn reissue_credentials(&self, operator: &Claims, id: RequestId) -> Result<ActionResult, OperatorError> {
        let request = self.find(id).await?;
        let username = match (request.status(), request.username()) {
            (Status::Approved, Some(username)) => username.clone(),
            (status, _) => return Err(OperatorError::InvalidTransition(status)),
        };
        let account = self.accounts.account(&username).await?.ok_or(OperatorError::NotFound)?;
        if !account.password().awaits_first_login() {
            return Err(OperatorError::CredentialsAlreadyUsed);
        }
        let now = self.clock.now();
        let email = CredentialIssuer::owed(&username, now);
        let step =
            Step { action: AuditAction::ReissueCredentials, note: None, for_applicant: false, email, account: None };
        let change = step.write(&request, request.revised(), operator, now);
        match self.requests.transition(&change).await {
            Ok(()) => {
                tracing::info!(request_id = %request.id, %username, "credentials re-issued");
                self.after_commit(&change).await;
                Ok(ActionResult { id: request.id, status: request.status(), username: Some(username) })
            }
            Err(e) => Err(self.lost_race(&request, e).await),
        }
    }

    /// `POST /operator/requests/{id}/{action}`: the action, read at the edge, on request `id`.
    pub async fn act(
        &self,
        operator: &Claims,
        id: RequestId,
        action: OperatorAction,
    ) -> Result<ActionResult, OperatorError> {
        match action {
            OperatorAction::Approve { note } => self.approve(operator, id, note).await,
            OperatorAction::Reject { reason } => self.reject(operator, id, reason).await,
            OperatorAction::RequestInfo { message } => self.request_info(operator, id, message).await,
            OperatorAction::ReissueCredentials => self.reissue_credentials(operator, id).await,
        }
    }

    async fn decide(
        &self,
        operator: &Claims,
        id: RequestId,
        event: Event,
        kind: EmailKind,
        note: String,
    ) -> Result<ActionResult, OperatorError> {
        let request = self.find(id).await?;
        let now = self.clock.now();
        let action = event.audit_action();
        let decided = request.apply(event, now).map_err(invalid)?;
        let email = OutboxEmail::about_request(kind, request.id, Some(note.clone()), now);
        let step = Step { action, note: Some(note), for_applicant: true, email, account: None };
        let change = step.write(&request, decided, operator, now);
        match self.requests.transition(&change).await {
            Ok(()) => {
                tracing::info!(request_id = %request.id, ?action, "request decided");
                self.after_commit(&change).await;
                Ok(ActionResult { id: request.id, status: change.request.status(), username: None })
            }
            Err(e) => Err(self.lost_race(&request, e).await),
        }
    }

    /// What follows a committed change: its email leaves, and a decision starts the retention
    /// period of the request's documents (a failure is logged: the documents stay until deleted by hand).
    async fn after_commit(&self, change: &Transition) {
        if let Some(email) = &change.email {
            self.postman.deliver_now(&email.id).await;
        }
        let request = &change.request;
        if change.audit.from.is_some_and(|from| !from.is_decided()) && request.status().is_decided() {
            for accepted in request.documents().filter_map(|slot| slot.accepted.as_ref()) {
                if let Err(error) = self.documents.schedule_deletion(&accepted.key, accepted.content_type).await {
                    tracing::error!(request_id = %request.id, key = %accepted.key, error = %error,
                        "retention of a decided request's document not started: delete it by hand");
                }
            }
        }
    }

    /// The answer when the conditional write lost: the status the winner left.
    async fn lost_race(&self, request: &AccreditationRequest, error: TransitionError) -> OperatorError {
        match error {
            TransitionError::Infra(e) => e.into(),
            _ => match self.requests.find(request.id).await {
                Ok(Some(current)) => OperatorError::InvalidTransition(current.status()),
                Ok(None) => OperatorError::NotFound,
                Err(e) => e.into(),
            },
        }
    }

    async fn find(&self, id: RequestId) -> Result<AccreditationRequest, OperatorError> {
        let request = self.requests.find(id).await?.ok_or(OperatorError::NotFound)?;
        if request.is_expired(self.clock.now()) {
            return Err(OperatorError::NotFound);
        }
        Ok(request)
    }

    async fn document_detail(
        &self,
        request: &AccreditationRequest,
        slot: &DocumentSlot,
        now: Timestamp,
    ) -> Result<DocumentDetail, OperatorError> {
        let Some(accepted) = &slot.accepted else {
            return Ok(DocumentDetail {
                content_type: slot.declared.content_type,
                size: None,
                accepted: false,
                download_url: None,
                expires_at: None,
            });
        };
        let extension = match accepted.content_type {
            DocumentType::Pdf => "pdf",
            DocumentType::Jpeg => "jpg",
            DocumentType::Png => "png",
        };
        let file_name = format!("{}.{extension}", request.reference);
        let url =
            self.documents.download_url(&accepted.key, accepted.content_type, &file_name, DOWNLOAD_VALIDITY).await?;
        let validity = time::Duration::try_from(DOWNLOAD_VALIDITY).unwrap_or(time::Duration::minutes(5));
        Ok(DocumentDetail {
            content_type: accepted.content_type,
            size: Some(accepted.size),
            accepted: true,
            download_url: Some(url),
            expires_at: Some(now.plus(validity)),
        })
    }

    fn seal_cursor(&self, status: Status, position: &QueuePosition) -> Result<String, OperatorError> {
        let payload = serde_json::to_vec(&(status, position)).map_err(|e| InfraError::unexpected("cursor", e))?;
        Ok(self.sessions.tokens().seal(&payload))
    }

    fn open_cursor(&self, cursor: &str, status: Status) -> Result<QueuePosition, OperatorError> {
        let payload = self.sessions.tokens().open(cursor).ok_or(OperatorError::InvalidCursor)?;
        let (listed, position): (Status, QueuePosition) =
            serde_json::from_slice(&payload).map_err(|_| OperatorError::InvalidCursor)?;
        if listed == status { Ok(position) } else { Err(OperatorError::InvalidCursor) }
    }
}

/// What one operator action writes besides the request's new state.
struct Step {
    /// What the audit line records.
    action: AuditAction,
    /// The note, reason or message.
    note: Option<String>,
    /// True when the note is addressed to the applicant.
    for_applicant: bool,
    /// The email the action owes.
    email: OutboxEmail,
    /// The account the action creates.
    account: Option<Account>,
}

impl Step {
    /// The conditional write: `after` (the next version of `before`) if `before` is unchanged,
    /// with the audit entry, the email and the account.
    fn write(
        self,
        before: &AccreditationRequest,
        after: AccreditationRequest,
        operator: &Claims,
        now: Timestamp,
    ) -> Transition {
        let audit = AuditEntry {
            at: now,
            actor: Actor::operator(&operator.sub),
            action: self.action,
            from: Some(before.status()),
            to: after.status(),
            note: self.note,
            for_applicant: self.for_applicant,
        };
        Transition {
            request: after,
            expected_version: before.version(),
            audit,
            email: Some(self.email),
            account: self.account,
        }
    }
}

/// 409 with the current status unless the workflow allows `action` from `status`.
fn allowed(status: Status, action: Action) -> Result<Status, OperatorError> {
    transition(status, action).map_err(invalid)
}

/// The 409 of an action the request's status does not allow.
fn invalid(invalid: InvalidTransition) -> OperatorError {
    OperatorError::InvalidTransition(invalid.from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::OutboxStatus,
        fakes::{RETRY, World},
    };

    #[tokio::test]
    async fn an_approval_that_loses_the_race_answers_the_winners_status_and_writes_nothing() {
        let world = World::new();
        let request = world.submitted_request();
        let rejected = request.apply(Event::Rejected, world.clock.now()).unwrap();
        world.store.before("transition", move |tables| {
            tables.requests.insert(rejected.id, rejected);
        });

        let result = world.operator.approve(&world.operator_claims(), request.id, None).await;

        assert!(matches!(result, Err(OperatorError::InvalidTransition(Status::Rejected))), "{result:?}");
        let tables = world.store.tables();
        assert!(tables.accounts.is_empty(), "no account for the lost approval");
        assert!(tables.outbox.is_empty(), "no credentials owed");
        assert_eq!(tables.requests[&request.id].status(), Status::Rejected, "the winner's write stands");
    }

    #[tokio::test]
    async fn an_approval_stands_while_the_mail_service_is_down_and_its_credentials_leave_later() {
        let world = World::new();
        let request = world.submitted_request();
        world.mailer.faults.fail_next("send", 1);

        let approved = world.operator.approve(&world.operator_claims(), request.id, None).await;
        let approved = approved.expect("the approval does not depend on the mail service");
        assert_eq!(approved.status, Status::Approved);
        let username = approved.username.expect("a username");
        assert!(world.mailer.sent().is_empty());
        let pending = world.store.tables().outbox.values().next().cloned().expect("the credentials email");
        assert_eq!((pending.status, pending.attempts), (OutboxStatus::Pending, 1));
        assert!(pending.last_error.is_some());
        let first_hash = world.store.tables().accounts[&username].password_hash().map(str::to_string);
        assert!(first_hash.is_some(), "the failed attempt minted credentials");

        assert_eq!(world.postman.sweep(10).await.unwrap().sent, 0, "not due before the retry delay");
        world.clock.advance(RETRY);
        assert_eq!(world.postman.sweep(10).await.unwrap().sent, 1);

        let sent = world.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, request.applicant.email.as_str());
        let password = World::temporary_password(&sent[0]);
        assert!(world.password_works(&username, &password).await, "the emailed password logs in");
        assert_ne!(
            world.store.tables().accounts[&username].password_hash(),
            first_hash.as_deref(),
            "the unsent one was replaced"
        );
    }
}
