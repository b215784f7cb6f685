//! A conformance and contract harness for the Tencent Cloud Face Recognition
//! (IAI) API, version 2020-03-03: signing and verification, a reference
//! emulator, table-driven cases from Tencent's document, and the runner that
//! judges any target (the emulator, an endpoint, a client library).
//!
//! # Getting started
//!
//! Start the emulator on loopback, call it with a signed request, and check
//! the answer against the wire contract:
//!
//! ```
//! use iai_conformance::emulator::{Config, Emulator};
//! use iai_conformance::envelope::{self, Outcome};
//! use iai_conformance::{CallOptions, Client, Style, now};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(Config::default(), "127.0.0.1:0".parse()?).await?;
//! let client = Client::new(emulator.url(), emulator.credentials().clone(), None)?;
//! let params = serde_json::json!({ "PersonId": "3001" });
//! let exchange = client
//!     .call("DeletePerson", params.as_object().unwrap(), &CallOptions::new(Style::Tc3PostJson, now()))
//!     .await?;
//! let answer = envelope::check(exchange.status, exchange.content_type.as_deref(), &exchange.body)
//!     .expect("a valid Tencent envelope");
//! // nobody created person 3001: the registered code for a missing person
//! assert!(matches!(
//!     &answer.outcome,
//!     Outcome::Error { code, .. } if code == "InvalidParameterValue.PersonIdNotExist"
//! ));
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Three modules are public, each a namespace of its own: [`sign`] (the
//! signer and the verifier, stage by stage), [`envelope`] (the wire
//! contract of every answer) and [`emulator`] (the reference server to
//! start in-process). Everything else a user of the library touches is
//! re-exported here:
//!
//! - the client: [`Client`], [`CallOptions`] and the wire vocabulary
//!   ([`Style`], [`SignedHeaderSet`], [`Prepared`], [`Exchange`], [`now`],
//!   [`encode`]);
//! - the API as data: [`Catalog`], and [`parse_doc_page`] for Tencent's
//!   pages;
//! - the cases: [`discover`] and [`Case`];
//! - running them: [`Run`], the one entry point, on a [`Target`] (the
//!   emulator, a URL, live, or a client library through an [`Adapter`]),
//!   giving [`CaseResult`]s and their [`Verdict`]s; [`Session`] for a
//!   connected server of one's own;
//! - the reports: [`Report`];
//! - a live run's safety: [`LiveOptions`], [`Guard`], [`sweep()`].
//!
//! Inside, the layers only point down: `api`, `sign`, `envelope`, `wire`
//! and `scope` at the bottom; the client, the emulator and the cases on
//! them; `live` and `check` above; `results`; the runners (`run`,
//! `client_target`); `report` on top.
//!
//! # Known limitations
//!
//! - The live service's answers have not been pinned by a real run: where
//!   the document is ambiguous the cases accept what it allows and pin the
//!   emulator's choice.
//! - The emulator covers 28 of the 35 actions, with synthetic faces (an
//!   image's identity is a hash of its bytes, or what its PNG text chunk or
//!   JPEG comment says); the 7 detection and analysis actions answer
//!   `UnsupportedOperation`.

pub mod emulator;
pub mod envelope;
pub mod sign;

mod api;
mod case;
mod check;
mod client;
mod client_target;
mod live;
mod report;
mod results;
mod run;
mod scope;
mod wire;

pub use api::doc_page::{
    DocError, DocErrorCode, DocExample, DocField, DocPage, DocParam, parse as parse_doc_page,
};
pub use api::shape::{check_fields as check_output_fields, check_output};
pub use api::spec::{ActionSpec, GENERATED as GENERATED_CATALOG, Member, Spec};
pub use api::tccli::{
    DeriveError, Package, Packages as TencentPackages, changes as catalog_changes,
};
pub use api::validate::is_id_char;
pub use api::{Action, Catalog, CodeKind, ErrorCode, Field, Param, ParamType, Rule};
pub use case::{
    Case, Discovered, LoadError, RowInfo, Source, SourceKind, TargetKind, Trigger, bundled,
    discover,
};
pub use check::{ErrorKind, Expected, Observed, Returned, ReturnedError};
pub use client::{CallOptions, Client, ClientError};
pub use client_target::{
    Adapter, AdapterError, FoundPython, PythonSource, not_for_clients, python_sdk,
};
pub use live::sweep::{SweepError, Swept, sweep};
pub use live::{Entry, Guard, Kind as EntryKind, Limits, Options as LiveOptions, read_face_image};
pub use report::progress::Stderr as Progress;
pub use report::{Counts, Report};
pub use results::{CaseResult, ClientRecord, Verdict};
pub use run::{LIVE_ENDPOINT, Run, Session, Target, TargetError};
pub use wire::{Exchange, Prepared, SignedHeaderSet, Style, encode, now};
